// Preview map of an upload: the first features as GeoJSON on a blank background (no base
// map, no network). The table below the map lists the same features.
import * as maplibregl from "/static/vendor/maplibre-gl/maplibre-gl.mjs";
import { mapLocale } from "../js/map_locale.js";

const container = document.getElementById("preview-map");
const data = JSON.parse(document.getElementById("preview-geojson").textContent);

function bounds(collection) {
  const box = [Infinity, Infinity, -Infinity, -Infinity];
  const visit = (c) => {
    if (typeof c[0] === "number") {
      box[0] = Math.min(box[0], c[0]); box[1] = Math.min(box[1], c[1]);
      box[2] = Math.max(box[2], c[0]); box[3] = Math.max(box[3], c[1]);
    } else c.forEach(visit);
  };
  collection.features.forEach((f) => f.geometry && visit(f.geometry.coordinates));
  return Number.isFinite(box[0]) ? box : null;
}

const box = bounds(data);
const map = new maplibregl.Map({
  container,
  locale: mapLocale(),
  style: {
    version: 8,
    sources: { preview: { type: "geojson", data } },
    layers: [
      { id: "background", type: "background", paint: { "background-color": "#f4f4f0" } },
      { id: "fill", type: "fill", source: "preview", filter: ["==", ["geometry-type"], "Polygon"],
        paint: { "fill-color": "#0b4f9c", "fill-opacity": 0.25, "fill-outline-color": "#0b4f9c" } },
      { id: "line", type: "line", source: "preview", filter: ["in", ["geometry-type"], ["literal", ["LineString", "Polygon"]]],
        paint: { "line-color": "#0b4f9c", "line-width": 2 } },
      { id: "point", type: "circle", source: "preview", filter: ["==", ["geometry-type"], "Point"],
        paint: { "circle-radius": 6, "circle-color": "#a4001d", "circle-stroke-color": "#fff", "circle-stroke-width": 2 } },
    ],
  },
  bounds: box ? [[box[0], box[1]], [box[2], box[3]]] : undefined,
  fitBoundsOptions: { padding: 40, maxZoom: 17 },
  center: box ? undefined : [2.35, 46.6],
  zoom: box ? undefined : 4,
  attributionControl: false,
});
map.addControl(new maplibregl.NavigationControl({ showCompass: false }));
map.on("load", () => { container.dataset.ready = "true"; });
