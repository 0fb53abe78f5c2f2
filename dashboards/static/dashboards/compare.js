// Two periods side by side: the two maps move together (pan and zoom one, the other follows),
// and typing dates for period B chooses "another period". No inline handler (the CSP).
document.addEventListener("DOMContentLoaded", () => {
  const maps = [...document.querySelectorAll(".compare-map .folium-map")]
    .map((node) => window[node.id])
    .filter((map) => map && typeof map.setView === "function");
  let syncing = false;
  for (const map of maps) {
    map.on("moveend", () => {
      if (syncing) return;
      syncing = true;
      for (const other of maps) {
        if (other !== map) other.setView(map.getCenter(), map.getZoom(), { animate: false });
      }
      syncing = false;
    });
  }
  // A refused period B: the keyboard starts where the error is (its message is next to it).
  const invalid = document.querySelector('.dash-compare [aria-invalid="true"]');
  if (invalid) invalid.focus();
  const mode = document.getElementById("f-compare");
  for (const id of ["f-compare-from", "f-compare-to"]) {
    const input = document.getElementById(id);
    if (mode && input) input.addEventListener("change", () => { if (input.value) mode.value = "custom"; });
  }
});
