// A small zone-drawing tool on MapLibre events (rectangle by dragging, polygon by clicks),
// editable by dragging its corners. terra-draw 1.x needs a separate MapLibre adapter
// package; this does the two shapes a mission needs in ~150 lines, with no dependency.
// Keyboard: Enter closes a polygon, Backspace removes its last corner, Escape cancels.
// (The panel offers the keyboard alternatives: district select, rectangle around a selection.)

const SOURCE = "ronde-draw";

function closeRing(coords) {
  const ring = coords.slice();
  const [a, b] = [ring[0], ring[ring.length - 1]];
  if (a[0] !== b[0] || a[1] !== b[1]) ring.push(a);
  return ring;
}

export class ZoneDraw {
  constructor(map, { onChange, onModeChange } = {}) {
    this.map = map;
    this.onChange = onChange || (() => {});
    this.onModeChange = onModeChange || (() => {});
    this.mode = "idle"; // idle | rectangle | polygon | drag-vertex
    this.corners = []; // [lng, lat] without the closing point
    this.pending = null; // the cursor while drawing a polygon
    this.start = null; // rectangle's first corner
    this.dragIndex = -1;
    map.addSource(SOURCE, { type: "geojson", data: { type: "FeatureCollection", features: [] } });
    map.addLayer({ id: "draw-fill", type: "fill", source: SOURCE, filter: ["==", ["geometry-type"], "Polygon"],
      paint: { "fill-color": "#ffbf47", "fill-opacity": 0.18 } });
    map.addLayer({ id: "draw-line", type: "line", source: SOURCE, filter: ["!=", ["geometry-type"], "Point"],
      paint: { "line-color": "#8a5a00", "line-width": 2.5, "line-dasharray": [2, 1] } });
    map.addLayer({ id: "draw-vertex", type: "circle", source: SOURCE, filter: ["==", ["geometry-type"], "Point"],
      paint: { "circle-radius": 6, "circle-color": "#ffffff", "circle-stroke-color": "#8a5a00", "circle-stroke-width": 2.5 } });
    this._bind();
  }

  polygon() {
    return this.corners.length >= 3 ? { type: "Polygon", coordinates: [closeRing(this.corners)] } : null;
  }

  setPolygon(geometry) {
    const ring = geometry ? geometry.coordinates[0].slice(0, -1) : [];
    this.corners = ring.map((c) => [c[0], c[1]]);
    this._setMode("idle");
    this._render();
  }

  clear() {
    this.corners = [];
    this.pending = null;
    this._setMode("idle");
    this._render();
    this.onChange(null);
  }

  begin(mode) {
    this.corners = [];
    this.pending = null;
    this._setMode(mode);
    this._render();
  }

  _setMode(mode) {
    const m = this.map;
    this.mode = mode;
    const drawing = mode !== "idle";
    // While drawing, mouse drags draw instead of panning; double click closes instead of zooming.
    if (drawing) { m.dragPan.disable(); m.doubleClickZoom.disable(); m.boxZoom.disable(); }
    else { m.dragPan.enable(); m.doubleClickZoom.enable(); m.boxZoom.enable(); }
    m.getCanvas().style.cursor = drawing ? "crosshair" : "";
    this.onModeChange(mode);
  }

  _render() {
    const features = [];
    const ring = this.pending ? [...this.corners, this.pending] : this.corners;
    if (ring.length >= 3) {
      features.push({ type: "Feature", properties: {}, geometry: { type: "Polygon", coordinates: [closeRing(ring)] } });
    } else if (ring.length === 2) {
      features.push({ type: "Feature", properties: {}, geometry: { type: "LineString", coordinates: ring } });
    }
    this.corners.forEach((c, i) => features.push({ type: "Feature", properties: { i }, geometry: { type: "Point", coordinates: c } }));
    this.map.getSource(SOURCE).setData({ type: "FeatureCollection", features });
  }

  _finish() {
    this.pending = null;
    this._setMode("idle");
    this._render();
    this.onChange(this.polygon());
  }

  _rectangle(a, b) {
    return [[a.lng, a.lat], [b.lng, a.lat], [b.lng, b.lat], [a.lng, b.lat]];
  }

  _bind() {
    const m = this.map;
    m.on("mousedown", (e) => {
      if (this.mode === "rectangle") {
        e.preventDefault();
        this.start = e.lngLat;
      } else if (this.mode === "idle" && this.corners.length) {
        const hit = m.queryRenderedFeatures(e.point, { layers: ["draw-vertex"] })[0];
        if (hit) {
          e.preventDefault();
          this.dragIndex = hit.properties.i;
          this.mode = "drag-vertex";
          m.dragPan.disable();
        }
      }
    });
    m.on("mousemove", (e) => {
      if (this.mode === "rectangle" && this.start) {
        this.corners = this._rectangle(this.start, e.lngLat);
        this._render();
      } else if (this.mode === "polygon" && this.corners.length) {
        this.pending = [e.lngLat.lng, e.lngLat.lat];
        this._render();
      } else if (this.mode === "drag-vertex") {
        this.corners[this.dragIndex] = [e.lngLat.lng, e.lngLat.lat];
        this._render();
      }
    });
    m.on("mouseup", (e) => {
      if (this.mode === "rectangle" && this.start) {
        this.corners = this._rectangle(this.start, e.lngLat);
        this.start = null;
        const [w, h] = [Math.abs(this.corners[1][0] - this.corners[0][0]), Math.abs(this.corners[2][1] - this.corners[1][1])];
        if (w > 0 && h > 0) this._finish();
      } else if (this.mode === "drag-vertex") {
        this.dragIndex = -1;
        this._finish();
      }
    });
    m.on("click", (e) => {
      if (this.mode !== "polygon") return;
      const point = [e.lngLat.lng, e.lngLat.lat];
      // A click on the first corner closes the polygon.
      if (this.corners.length >= 3) {
        const first = m.project(this.corners[0]);
        if (Math.hypot(first.x - e.point.x, first.y - e.point.y) < 10) { this._finish(); return; }
      }
      this.corners.push(point);
      this._render();
    });
    m.on("dblclick", (e) => {
      if (this.mode !== "polygon") return;
      e.preventDefault();
      // The two clicks of a double click each added a corner: drop the duplicate.
      if (this.corners.length > 3) this.corners.pop();
      if (this.corners.length >= 3) this._finish();
    });
    m.getCanvasContainer().addEventListener("keydown", (e) => {
      if (this.mode === "idle") return;
      if (e.key === "Escape") { this.corners = []; this.pending = null; this.start = null; this._setMode("idle"); this._render(); }
      else if (e.key === "Enter" && this.mode === "polygon" && this.corners.length >= 3) this._finish();
      else if (e.key === "Backspace" && this.mode === "polygon") { this.corners.pop(); this._render(); }
    });
  }
}
