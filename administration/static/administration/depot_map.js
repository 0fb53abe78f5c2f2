// The team's depot on a map: a click places it and fills the longitude/latitude fields;
// typing in the fields moves the marker. The fields alone are enough (keyboard, screen
// readers, no WebGL): the map is a convenience over them.
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
