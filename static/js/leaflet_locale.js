// Leaflet (the dashboards' map) in the page's language and closable with Escape.
// A classic script placed by base.html after the page's <head> (which loads Leaflet) and before
// the page's own scripts (which create the map): the options set here apply to that map.
// Leaflet ships "Zoom in", "Zoom out" and "Close popup" in English only (RGAA 8.7); the labels
// come from the table {% maplibre_locale %} writes for MapLibre, translated by the catalogue.
(function () {
  if (!window.L || !L.Map) return;
  let strings = {};
  try {
    strings = JSON.parse(document.getElementById("maplibre-locale").textContent);
  } catch (err) { /* no table: Leaflet's own labels */ }
  const zoomIn = strings["NavigationControl.ZoomIn"];
  const zoomOut = strings["NavigationControl.ZoomOut"];
  const close = strings["Popup.Close"];
  if (zoomIn && zoomOut) L.Control.Zoom.mergeOptions({ zoomInTitle: zoomIn, zoomOutTitle: zoomOut });
  // The layer switcher's button and the credit's link have English titles too.
  const layers = strings["Leaflet.Layers"];
  const library = strings["Leaflet.Library"];
  if (layers && L.Control.Layers) {
    const initLayout = L.Control.Layers.prototype._initLayout;
    L.Control.Layers.include({
      _initLayout() {
        initLayout.call(this);
        if (this._layersLink) this._layersLink.title = layers;
      },
    });
  }
  if (library && L.Control.Attribution) {
    const link = document.createElement("a");
    link.href = "https://leafletjs.com";
    link.title = library;
    link.textContent = "Leaflet";
    L.Control.Attribution.mergeOptions({ prefix: link.outerHTML });
  }
  L.Map.addInitHook(function () {
    const map = this;
    map.on("popupopen", (e) => {
      const button = e.popup.getElement() && e.popup.getElement().querySelector(".leaflet-popup-close-button");
      if (button && close) button.setAttribute("aria-label", close);
    });
    // Escape closes what hovering or focusing opened (WCAG 1.4.13), not only popups: from
    // anywhere in the page, since a tooltip opened by the pointer leaves the focus where it was.
    document.addEventListener("keydown", (e) => {
      if (e.key !== "Escape") return;
      map.eachLayer((layer) => { if (layer.closeTooltip) layer.closeTooltip(); });
    });
  });
})();
