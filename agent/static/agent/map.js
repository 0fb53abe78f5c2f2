// The mission map (second to the stops list): zone, round, numbered stops, own position.
// MapLibre is loaded only here, so the list works on a device without WebGL.
const TILE_LIMIT = 4000; // per mission: a 2 km zone is ~600 tiles at z12–18
const TILE_CACHE = "ronde-tiles";

export async function showMissionMap(container, mission, { t, styleUrl, onStop }) {
  let maplibre;
  try {
    maplibre = await import("../vendor/maplibre-gl/maplibre-gl.mjs");
  } catch (err) {
    container.textContent = t("The map could not be shown on this device; use the list.");
    return null;
  }
  let style = { version: 8, sources: {}, layers: [{ id: "bg", type: "background", paint: { "background-color": "#f4f1ea" } }] };
  if (styleUrl) {
    try {
      const r = await fetch(styleUrl, { credentials: "same-origin" });
      if (r.ok) style = await r.json();
    } catch (err) { /* offline and not cached: plain background */ }
  }
  const [minx, miny, maxx, maxy] = mission.bbox;
  let map;
  try {
    map = new maplibre.Map({ container, style, bounds: [[minx, miny], [maxx, maxy]], fitBoundsOptions: { padding: 24 }, attributionControl: false });
  } catch (err) {
    container.textContent = t("The map could not be shown on this device; use the list.");
    return null;
  }
  map.addControl(new maplibre.NavigationControl({ showCompass: false }));
  map.on("load", () => {
    map.addSource("zone", { type: "geojson", data: { type: "Feature", geometry: mission.zone, properties: {} } });
    map.addLayer({ id: "zone-line", type: "line", source: "zone", paint: { "line-color": "#0b4f9c", "line-width": 2, "line-dasharray": [2, 1] } });
    if (mission.route) {
      map.addSource("route", { type: "geojson", data: { type: "Feature", geometry: mission.route, properties: {} } });
      map.addLayer({ id: "route", type: "line", source: "route", paint: { "line-color": "#a4001d", "line-width": 4 } });
    }
  });
  mission.stops.forEach((stop, i) => {
    const el = document.createElement("button");
    el.type = "button";
    el.className = `stop-marker status-${stop.status}`;
    el.textContent = String(stop.sequence || i + 1);
    el.setAttribute("aria-label", `${stop.sequence || i + 1}. ${stop.category}`);
    el.addEventListener("click", () => onStop(stop));
    new maplibre.Marker({ element: el }).setLngLat(stop.position).addTo(map);
  });
  const me = document.createElement("div");
  me.className = "me-marker";
  me.setAttribute("role", "img");
  me.setAttribute("aria-label", t("Your position"));
  const meMarker = new maplibre.Marker({ element: me });
  return {
    map,
    setPosition(lonlat) { meMarker.setLngLat(lonlat).addTo(map); },
  };
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

// Tile URL templates of every vector/raster source in the style (TileJSON urls resolved).
async function templates(styleUrl, layers) {
  const found = [...layers];
  if (!styleUrl) return found;
  try {
    const style = await (await fetch(styleUrl, { credentials: "same-origin" })).json();
    for (const source of Object.values(style.sources || {})) {
      if (source.tiles) found.push(...source.tiles);
      else if (source.url) {
        const tj = await (await fetch(source.url, { credentials: "same-origin" })).json();
        found.push(...(tj.tiles || []));
      }
    }
  } catch (err) { /* offline: keep what is already cached */ }
  return [...new Set(found)];
}

// Store the mission zone's tiles z12–18 (base map and data layers) for offline use.
export async function precacheTiles(bbox, { styleUrl, layers = [], minZoom = 12, maxZoom = 18, onProgress }) {
  if (!("caches" in window)) return 0;
  const urls = [];
  for (const tpl of await templates(styleUrl, layers)) {
    for (let z = minZoom; z <= maxZoom; z++) {
      for (const [tz, x, y] of tilesFor(bbox, z)) {
        urls.push(new URL(tpl.replace("{z}", tz).replace("{x}", x).replace("{y}", y), location.href).href);
      }
    }
  }
  const cache = await caches.open(TILE_CACHE);
  let done = 0;
  const queue = urls.slice(0, TILE_LIMIT);
  async function worker() {
    while (queue.length) {
      const url = queue.shift();
      try {
        if (!(await cache.match(url))) {
          const r = await fetch(url, { credentials: "same-origin" });
          if (r.ok) await cache.put(url, r);
        }
        done += 1;
      } catch (err) { return; } // offline: stop quietly, try again next time
      if (onProgress && done % 50 === 0) onProgress(done);
    }
  }
  await Promise.all([worker(), worker(), worker(), worker()]);
  return done;
}
