// The team's depot on a map: a click places it and fills the longitude/latitude fields;
// typing in the fields moves the marker; an address picked in the search box
// (geo/_address_search.html, a "ronde:place" event) fills them too and centres the map.
// The fields and the search box are enough (keyboard, screen readers, no WebGL): the map
// is a convenience over them.
import { startMap } from "../js/map_start.js";

const el = document.getElementById("depot-map");
const lon = document.getElementById("id_depot_lon");
const lat = document.getElementById("id_depot_lat");

function typed() {
  const x = parseFloat((lon.value || "").replace(",", "."));
  const y = parseFloat((lat.value || "").replace(",", "."));
  return Number.isFinite(x) && Number.isFinite(y) ? [x, y] : null;
}

document.getElementById("depot-clear").addEventListener("click", () => {
  lon.value = "";
  lat.value = "";
  const search = document.getElementById("address-search-input");
  if (search) search.value = "";
});

// An address picked in the search box is the depot (WGS84 degrees, like the fields).
document.addEventListener("ronde:place", (event) => {
  lon.value = event.detail.lon.toFixed(6);
  lat.value = event.detail.lat.toFixed(6);
  lon.dispatchEvent(new Event("input"));
});
// Enter in the search box picks an address; it never submits the team form half-filled.
document.getElementById("address-search-input")?.addEventListener("keydown", (event) => {
  if (event.key === "Enter") event.preventDefault();
});

async function start() {
  const { maplibregl, map } = await startMap(el);
  const marker = new maplibregl.Marker({ color: "#a4001d" });
  const show = () => {
    const at = typed();
    if (at) marker.setLngLat(at).addTo(map);
    else marker.remove();
  };
  map.on("click", (event) => {
    lon.value = event.lngLat.lng.toFixed(6);
    lat.value = event.lngLat.lat.toFixed(6);
    show();
  });
  lon.addEventListener("input", show);
  lat.addEventListener("input", show);
  document.addEventListener("ronde:place", (event) => {
    map.flyTo({ center: [event.detail.lon, event.detail.lat], zoom: event.detail.kind === "address" ? 17 : 15 });
  });
  document.getElementById("depot-clear").addEventListener("click", show);
  map.on("load", () => {
    show();
    const at = typed();
    if (at) map.setCenter(at);
    el.dataset.state = "ready";
  });
  window.rondeDepotMap = map;
}

start().catch((error) => {
  el.dataset.state = "error";
  el.hidden = true; // the longitude/latitude fields remain
  console.error(error);
});
