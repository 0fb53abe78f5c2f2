// The mission map (second to the stops list): zone, round, numbered stops, own position.
// MapLibre is loaded only here, so the list works on a device without WebGL.
// At most this many tile requests per mission (all sources together): a 1 km² zone is
// ~190 tiles per source at z12–18 (~1,300 for the base map and 6 data layers), a 2 km
// square ~3,800. Beyond, the highest zoom levels are dropped and the agent is told.
import { mapLocale } from "../js/map_locale.js";
import { followPlaces } from "../geo/address_search.js";
import { colour, markElement, provideMarkIcons, stopMark } from "../js/marks.js";

export const TILE_CAP = 4000;
const TILE_CACHE = "ronde-tiles";

// The search box's picks go to the mission map on screen (one at a time: the previous
// mission's listener is removed).
let unfollow = null;

export async function showMissionMap(container, mission, { t, styleUrl, onStop, workerUrl = null, offlineMaxZoom = null }) {
  let maplibre;
  try {
    maplibre = await import("../vendor/maplibre-gl/maplibre-gl.mjs");
  } catch (err) {
    container.textContent = t("The map could not be shown on this device; use the list.");
    return null;
  }
  if (workerUrl) startWorkersUnderServiceWorker(maplibre, workerUrl);
  let style = { version: 8, sources: {}, layers: [{ id: "bg", type: "background", paint: { "background-color": "#f4f1ea" } }] };
  if (styleUrl) {
    try {
      const r = await fetch(styleUrl, { credentials: "same-origin" });
      if (r.ok) style = await r.json();
    } catch (err) { /* offline and not cached: plain background */ }
  }
  // The mission's own work is drawn as numbered stops. The data layers' icons (the community's
  // interventions, reports and assets) would sit under them, and the legend does not name them:
  // hidden here. Their tiles are still saved for offline use with the rest.
  for (const layer of style.layers || []) {
    if (layer.type === "symbol" && layer.metadata && layer.metadata["ronde:layer"]) layer.layout = { ...layer.layout, visibility: "none" };
  }
  routeTilesThroughPage(maplibre, style);
  if (offlineMaxZoom !== null && !navigator.onLine) {
    // Offline, only the saved zoom levels exist: MapLibre draws deeper zooms from the last one.
    for (const source of Object.values(style.sources || {})) {
      if (source.maxzoom === undefined || source.maxzoom > offlineMaxZoom) source.maxzoom = offlineMaxZoom;
    }
  }
  const [minx, miny, maxx, maxy] = mission.bbox;
  let map;
  try {
    map = new maplibre.Map({
      container, style, bounds: [[minx, miny], [maxx, maxy]], fitBoundsOptions: { padding: 24 },
      // Compact (an ⓘ button on a phone): the credits of the sources, e.g. OpenStreetMap's (ODbL).
      attributionControl: { compact: true }, locale: mapLocale(),
    });
  } catch (err) {
    container.textContent = t("The map could not be shown on this device; use the list.");
    return null;
  }
  provideMarkIcons(map); // the style's "mark-<kind>" icons (core/palette.py)
  container.rondeMap = map; // for the browser tests and the console
  map.addControl(new maplibre.NavigationControl({ showCompass: false }));
  if (unfollow) unfollow();
  unfollow = followPlaces(map, maplibre);
  // For people and tests alike: how many tiles were drawn and how many failed.
  let loads = 0;
  let errors = 0;
  map.on("data", (e) => { if (e.dataType === "source" && e.tile) container.dataset.tileLoads = String(++loads); });
  map.on("error", (e) => { if (e.tile || e.sourceId) container.dataset.tileErrors = String(++errors); });
  map.on("idle", () => { container.dataset.idle = "true"; });
  container.dataset.tileLoads = "0";
  container.dataset.tileErrors = "0";
  map.on("load", () => {
    map.addSource("zone", { type: "geojson", data: { type: "Feature", geometry: mission.zone, properties: {} } });
    map.addLayer({ id: "zone-line", type: "line", source: "zone", paint: { "line-color": colour("mission_zone"), "line-width": 2.5, "line-dasharray": [2, 1] }, metadata: { "ronde:mark": "mission_zone" } });
    if (mission.route) {
      map.addSource("route", { type: "geojson", data: { type: "Feature", geometry: mission.route, properties: {} } });
      map.addLayer({ id: "route-casing", type: "line", source: "route", paint: { "line-color": "#ffffff", "line-width": 7 } });
      map.addLayer({ id: "route", type: "line", source: "route", paint: { "line-color": colour("round"), "line-width": 4 }, metadata: { "ronde:mark": "round" } });
    }
  });
  mission.stops.forEach((stop, i) => {
    const el = markElement(stopMark(stop.status), String(stop.sequence || i + 1), "button");
    el.type = "button";
    el.classList.add("stop-marker", `status-${stop.status}`);
    el.setAttribute("aria-label", `${stop.sequence || i + 1}. ${stop.category}`);
    el.addEventListener("click", () => onStop(stop));
    new maplibre.Marker({ element: el }).setLngLat(stop.position).addTo(map);
  });
  const me = markElement("me", "");
  me.classList.add("me-marker");
  me.setAttribute("role", "img");
  me.setAttribute("aria-label", t("Your position"));
  const meMarker = new maplibre.Marker({ element: me });
  // The walking route to one stop ("Go there"), drawn over the round once the style is in.
  let walk = null;
  const drawWalk = () => {
    const data = { type: "Feature", properties: {}, geometry: { type: "LineString", coordinates: walk || [] } };
    if (map.getSource("walk")) { map.getSource("walk").setData(data); return; }
    map.addSource("walk", { type: "geojson", data });
    map.addLayer({ id: "walk-casing", type: "line", source: "walk", layout: { "line-cap": "round", "line-join": "round" }, paint: { "line-color": "#fff", "line-width": 9 } });
    map.addLayer({ id: "walk", type: "line", source: "walk", layout: { "line-cap": "round", "line-join": "round" }, paint: { "line-color": colour("walk"), "line-width": 5 }, metadata: { "ronde:mark": "walk" } });
  };
  let fitted = false;
  return {
    map,
    setPosition(lonlat) { meMarker.setLngLat(lonlat).addTo(map); },
    setWalk(coords) {
      walk = coords;
      container.dataset.walkPoints = String(coords ? coords.length : 0);
      if (map.isStyleLoaded()) drawWalk(); else map.once("load", drawWalk);
      if (coords && coords.length > 1 && !fitted) {
        fitted = true;
        const xs = coords.map((c) => c[0]); const ys = coords.map((c) => c[1]);
        map.fitBounds([[Math.min(...xs), Math.min(...ys)], [Math.max(...xs), Math.max(...ys)]], { padding: 48, maxZoom: 18, duration: 0 });
      }
    },
  };
}

// MapLibre's own worker URL (/static/…/maplibre-gl-worker.mjs?v=…) is outside the service
// worker's /agent/ scope, and a worker script is matched to a service worker by its own URL,
// not by the page's: offline, it came only from the browser's HTTP cache, which holds a static
// file for a tenth of its age (a minute in production, seconds after a deploy). Once that
// expired the worker failed to load and the mission map never drew (the browser test failed so
// in fresh checkouts). A worker started from a blob: URL belongs to this page's service worker
// instead, so its `import` of the script is answered from the shell cache, where `workerUrl`
// (the same static() URL as the precache list) has been since install.
let workerBlobUrl = null;
function startWorkersUnderServiceWorker(maplibre, workerUrl) {
  if (!workerBlobUrl) {
    const src = new URL(workerUrl, location.href).href;
    workerBlobUrl = URL.createObjectURL(new Blob([`import ${JSON.stringify(src)};`], { type: "text/javascript" }));
  }
  maplibre.setWorkerUrl(workerBlobUrl);
}

// MapLibre fetches tiles in its web worker, and a worker script served from /static/ is
// outside the service worker's /agent/ scope: offline, those fetches fail even though the
// tiles are cached (the browser test proved it). Our own tile URLs therefore go through a
// "ronde://" protocol whose loader runs here, in the page, which the service worker controls.
let protocolAdded = false;
function routeTilesThroughPage(maplibre, style) {
  if (!protocolAdded) {
    maplibre.addProtocol("ronde", async (params, abort) => {
      const response = await fetch(params.url.slice("ronde://".length), { credentials: "same-origin", signal: abort.signal });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      // 204 is an empty tile.
      return { data: response.status === 204 ? new ArrayBuffer(0) : await response.arrayBuffer() };
    });
    protocolAdded = true;
  }
  for (const source of Object.values(style.sources || {})) {
    if (!source.tiles) continue;
    source.tiles = source.tiles.map((tpl) => {
      const url = new URL(tpl.replace(/[{}]/g, ""), location.href);
      return url.origin === location.origin ? `ronde://${new URL(tpl, location.href).href.replace(/%7B/g, "{").replace(/%7D/g, "}")}` : tpl;
    });
  }
}

// Slippy-map tile numbers (Web Mercator) covering a lon/lat box at zoom z.
export function tilesFor([minx, miny, maxx, maxy], z) {
  const n = 2 ** z;
  const x = (lon) => Math.floor(((lon + 180) / 360) * n);
  const y = (lat) => {
    const r = (lat * Math.PI) / 180;
    return Math.floor(((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2) * n);
  };
  const out = [];
  for (let tx = x(minx); tx <= x(maxx); tx++) for (let ty = y(maxy); ty <= y(miny); ty++) out.push([z, tx, ty]);
  return out;
}

// Our own tile sources of the style (same origin: the base map and the data layers), with
// their zoom ranges. Another server's tiles (an upstream raster) are never pre-cached.
async function tileSources(styleUrl) {
  if (!styleUrl) return [];
  const found = [];
  try {
    const style = await (await fetch(styleUrl, { credentials: "same-origin" })).json();
    for (const source of Object.values(style.sources || {})) {
      let tiles = source.tiles;
      if (!tiles && source.url) tiles = (await (await fetch(source.url, { credentials: "same-origin" })).json()).tiles;
      for (const tpl of tiles || []) {
        const url = new URL(tpl.replace("{z}", "0").replace("{x}", "0").replace("{y}", "0"), location.href);
        if (url.origin === location.origin) found.push({ tpl, minzoom: source.minzoom ?? 0, maxzoom: source.maxzoom ?? 22 });
      }
    }
  } catch (err) { /* offline: keep what is already cached */ }
  return found;
}

const tileUrl = (tpl, [z, x, y]) => new URL(tpl.replace("{z}", z).replace("{x}", x).replace("{y}", y), location.href).href;

// What pre-caching a mission's zone will fetch: every tile of our sources for z12–18 inside
// the bbox, lowest zooms first. Above TILE_CAP requests the highest zoom levels are left out
// whole (the map overzooms the last saved level offline), never half a level.
export function planTiles(bbox, sources, { minZoom = 12, maxZoom = 18, cap = TILE_CAP } = {}) {
  const urls = [];
  let savedMaxZoom = minZoom - 1;
  for (let z = minZoom; z <= maxZoom; z++) {
    const level = [];
    for (const s of sources) {
      if (z < s.minzoom || z > s.maxzoom) continue;
      for (const t of tilesFor(bbox, z)) level.push(tileUrl(s.tpl, t));
    }
    if (urls.length + level.length > cap && z > minZoom) break;
    urls.push(...level.slice(0, cap - urls.length));
    savedMaxZoom = z;
  }
  return { urls, savedMaxZoom, capped: savedMaxZoom < maxZoom, minZoom, maxZoom };
}

// Store the mission zone's tiles (base map and data layers) for offline use.
// onProgress({done, failed, total}); resolves {done, failed, total, savedMaxZoom, capped, offline}.
export async function precacheTiles(bbox, { styleUrl, onProgress, cap = TILE_CAP } = {}) {
  const plan = planTiles(bbox, await tileSources(styleUrl), { cap });
  const total = plan.urls.length;
  const result = { done: 0, failed: 0, total, savedMaxZoom: plan.savedMaxZoom, capped: plan.capped, offline: false };
  if (!("caches" in window) || !total) return result;
  const cache = await caches.open(TILE_CACHE);
  const queue = plan.urls.slice();
  const report = () => { if (onProgress) onProgress({ ...result }); };
  async function worker() {
    while (queue.length && !result.offline) {
      const url = queue.shift();
      try {
        if (await cache.match(url, { ignoreVary: true })) result.done += 1;
        else {
          const r = await fetch(url, { credentials: "same-origin" });
          // 204 is an empty tile: worth keeping, it answers offline as it does online.
          if (r.ok) { await cache.put(url, r); result.done += 1; } else result.failed += 1;
        }
      } catch (err) { result.offline = true; return; } // network gone: try again next time
      if ((result.done + result.failed) % 10 === 0) report();
    }
  }
  await Promise.all([worker(), worker(), worker(), worker()]);
  report();
  return result;
}
