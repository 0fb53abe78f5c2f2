// The map page: MapLibre GL (self-hosted ESM) with Ronde's own style, a keyboard-usable
// layer switcher and a table of what is in view (the list alternative to the map).
// State for people and tests: #map[data-state] is "loading", "idle" or "error";
// #map[data-visible-layers] lists the layers drawn.
import { startMap } from "../js/map_start.js";
import { followPlaces } from "../geo/address_search.js";

const el = document.getElementById("map");
const status = document.getElementById("map-status");

function styleLayersOf(map, id) {
  return map.getStyle().layers.filter((l) => l.metadata && l.metadata["ronde:layer"] === id).map((l) => l.id);
}

function setVisible(map, id, visible) {
  for (const layerId of styleLayersOf(map, id)) {
    map.setLayoutProperty(layerId, "visibility", visible ? "visible" : "none");
  }
  const shown = [...document.querySelectorAll("#layer-switcher input[data-layer]:checked")].map((i) => i.dataset.layer);
  el.dataset.visibleLayers = shown.join(" ");
}

function countInView(map, id) {
  const layers = styleLayersOf(map, id).filter((l) => map.getLayoutProperty(l, "visibility") !== "none");
  if (!layers.length) return null;
  const seen = new Set();
  let total = 0;
  for (const f of map.queryRenderedFeatures({ layers })) {
    if (f.properties && typeof f.properties.count === "number") {
      total += f.properties.count; // a grid cell: count of the points inside
    } else if (f.id === undefined || !seen.has(f.id)) {
      if (f.id !== undefined) seen.add(f.id);
      total += 1;
    }
  }
  return total;
}

function updateTable(map) {
  const b = map.getBounds();
  const bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v) => v.toFixed(6)).join(",");
  for (const cell of document.querySelectorAll("[data-count-for]")) {
    const n = countInView(map, cell.dataset.countFor);
    cell.textContent = n === null ? cell.closest("table").dataset.hiddenLabel || "–" : n.toLocaleString();
  }
  for (const link of document.querySelectorAll("a[data-api-for]")) {
    const url = new URL(link.getAttribute("href"), window.location.href);
    url.searchParams.set("bbox", bbox);
    link.setAttribute("href", url.pathname + url.search);
  }
}

// The layers a click can describe, top first (what is drawn last is what the pointer hits).
const CLICKABLE = ["interventions", "reports", "assets", "missions", "zones"];
const panel = document.getElementById("feature-panel");
const panelBody = document.getElementById("feature-body");

function clickableLayers(map) {
  return CLICKABLE.flatMap((id) => styleLayersOf(map, id)).filter(
    (l) => map.getLayoutProperty(l, "visibility") !== "none",
  );
}

// The top feature under the pointer (a grid cell of counted points is not one feature).
function featureAt(map, point) {
  const box = [
    [point.x - 4, point.y - 4],
    [point.x + 4, point.y + 4],
  ];
  const hits = map.queryRenderedFeatures(box, { layers: clickableLayers(map) });
  const found = hits.find((f) => f.id !== undefined && !(f.properties && "count" in f.properties));
  return found ? { layer: found.layer.metadata["ronde:layer"], id: found.id } : null;
}

async function showDetails(layer, id) {
  const url = new URL(panel.dataset.url, window.location.href);
  url.searchParams.set("layer", layer);
  url.searchParams.set("id", id);
  url.searchParams.set("partial", "1");
  panelBody.setAttribute("aria-busy", "true");
  const response = await fetch(url, { credentials: "same-origin" });
  panelBody.innerHTML = await response.text();
  panelBody.removeAttribute("aria-busy");
  panel.dataset.layer = layer;
  panel.dataset.id = id;
  document.getElementById("feature-heading").focus();
}

async function start() {
  const { maplibregl, map } = await startMap(el);
  el.maplibreMap = map; // for the browser tests and the console
  followPlaces(map, maplibregl); // the search box (geo/_address_search.html)

  map.on("load", () => {
    for (const input of document.querySelectorAll("#layer-switcher input[data-layer]")) {
      setVisible(map, input.dataset.layer, input.checked);
      input.addEventListener("change", () => {
        setVisible(map, input.dataset.layer, input.checked);
        el.dataset.state = "loading";
      });
    }
  });
  map.on("click", (event) => {
    const hit = featureAt(map, event.point);
    if (hit) showDetails(hit.layer, hit.id).catch((error) => console.error(error));
  });
  map.on("mousemove", (event) => {
    map.getCanvas().style.cursor = featureAt(map, event.point) ? "pointer" : "";
  });
  map.on("idle", () => {
    updateTable(map);
    el.dataset.state = "idle";
    status.textContent = "";
  });
  map.on("error", (event) => {
    console.error(event.error);
  });
}

start().catch((error) => {
  el.dataset.state = "error";
  status.textContent = String(error);
  console.error(error);
});
