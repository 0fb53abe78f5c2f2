// Map start-up shared by /map/ (tiles/static/tiles/map.js) and /dispatch/ (board.js):
// the self-hosted MapLibre ESM and its worker, Ronde's style fetched with the session's
// cookie, the map fitted to the community's bounds, controls labelled in the page's language.
// The container's data-* attributes say where things are: data-maplibre-url, data-worker-url,
// data-style-url, data-label (the canvas' accessible name; else the container's aria-label).
import { mapLocale } from "./map_locale.js";
import { provideMarkIcons } from "./marks.js";

export async function startMap(el, { adaptStyle = (style) => style } = {}) {
  const maplibregl = await import(el.dataset.maplibreUrl);
  maplibregl.setWorkerUrl(new URL(el.dataset.workerUrl, window.location.href).href);
  const response = await fetch(el.dataset.styleUrl, { credentials: "same-origin" });
  if (!response.ok) throw new Error(`style: HTTP ${response.status}`);
  const style = adaptStyle(await response.json());
  const map = new maplibregl.Map({
    container: el,
    style,
    bounds: style.metadata["ronde:bounds"],
    fitBoundsOptions: { padding: 16 },
    transformRequest: (url) => ({ url, credentials: "same-origin" }),
    locale: mapLocale(),
  });
  provideMarkIcons(map); // the style's "mark-<kind>" icons (core/palette.py)
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-right");
  map.addControl(new maplibregl.ScaleControl({ unit: "metric" }), "bottom-left");
  map.getCanvas().setAttribute("aria-label", el.dataset.label || el.getAttribute("aria-label") || "");
  return { maplibregl, map };
}
