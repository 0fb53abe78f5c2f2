// A small zone-drawing tool for MapLibre (rectangle by dragging, polygon by clicks or taps),
// editable by dragging its corners, with a mouse, a pen or a finger.
//
// Why not terra-draw (vendored for other pages): its 1.x MapLibre adapter is a separate
// package, and a mission needs only these two shapes. Input is Pointer Events on the map's
// canvas container, so mouse, pen and touch take the same path:
// - while drawing (and while a corner is dragged) MapLibre's pan/zoom/rotate/pitch handlers
//   are off and the map has `touch-action: none` (board.css), so a finger draws instead of
//   scrolling or zooming the page or the map;
// - every corner is a handle of HANDLE_RADIUS_PX (44 px across, the WCAG 2.5.5 target size),
//   drawn as a visible halo when the last input was a finger or the device's pointer is coarse.
// A polygon closes with a tap on its first corner, a double tap/click, Enter, or finish()
// (the panel's "Finish the polygon" button). Keyboard on the map: Enter closes a polygon,
// Backspace removes its last corner, Escape cancels. (The panel offers keyboard alternatives:
// district select, rectangle around ticked jobs.)

import { colour } from "../js/marks.js";

const SOURCE = "ronde-draw";
const HANDLE_RADIUS_PX = 22; // a 44 px target around each corner
const TAP_SLOP_PX = 8; // a press that moves less than this is a tap, not a drag
const DOUBLE_TAP_MS = 400;
const MAP_HANDLERS = ["dragPan", "dragRotate", "touchZoomRotate", "touchPitch", "doubleClickZoom", "boxZoom"];

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
    this.pending = null; // the cursor while drawing a polygon with a mouse
    this.start = null; // rectangle's first corner (lngLat)
    this.press = null; // {id, x, y} of the pointer pressed on the map
    this.lastTap = null; // {x, y, t} for double taps
    this.dragIndex = -1;
    this.handlersOff = null; // the MapLibre handlers switched off while drawing
    this.coarse = window.matchMedia ? window.matchMedia("(pointer: coarse)").matches : false;
    const ink = colour("drawing"); // core/palette.py: 3:1 and more on the base map
    map.addSource(SOURCE, { type: "geojson", data: { type: "FeatureCollection", features: [] } });
    map.addLayer({ id: "draw-fill", type: "fill", source: SOURCE, filter: ["==", ["geometry-type"], "Polygon"],
      paint: { "fill-color": ink, "fill-opacity": 0.12 } });
    map.addLayer({ id: "draw-line", type: "line", source: SOURCE, filter: ["!=", ["geometry-type"], "Point"],
      paint: { "line-color": ink, "line-width": 2.5, "line-dasharray": [2, 1] }, metadata: { "ronde:mark": "drawing" } });
    map.addLayer({ id: "draw-handle", type: "circle", source: SOURCE, filter: ["==", ["geometry-type"], "Point"],
      layout: { visibility: this.coarse ? "visible" : "none" },
      paint: { "circle-radius": HANDLE_RADIUS_PX, "circle-color": ink, "circle-opacity": 0.15,
        "circle-stroke-color": ink, "circle-stroke-width": 2 } });
    map.addLayer({ id: "draw-vertex", type: "circle", source: SOURCE, filter: ["==", ["geometry-type"], "Point"],
      paint: { "circle-radius": ["case", ["get", "first"], 9, 6], "circle-color": "#ffffff",
        "circle-stroke-color": ink, "circle-stroke-width": 2.5 } });
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
    this.start = null;
    this.lastTap = null;
    this._setMode(mode);
    this._render();
  }

  // Closes the polygon being drawn (the panel's button: no double tap or keyboard needed).
  finish() {
    if (this.mode === "polygon" && this.corners.length >= 3) this._finish();
  }

  // Removes the polygon's last corner while drawing.
  undo() {
    if (this.mode !== "polygon") return;
    this.corners.pop();
    this._render();
    this.onModeChange(this.mode);
  }

  cancel() {
    this.corners = [];
    this.pending = null;
    this.start = null;
    this._setMode("idle");
    this._render();
  }

  _handlers(on) {
    const m = this.map;
    if (!on && !this.handlersOff) {
      this.handlersOff = MAP_HANDLERS.filter((name) => m[name] && m[name].isEnabled());
      for (const name of this.handlersOff) m[name].disable();
    } else if (on && this.handlersOff) {
      for (const name of this.handlersOff) m[name].enable();
      this.handlersOff = null;
    }
  }

  _setMode(mode) {
    this.mode = mode;
    const busy = mode !== "idle";
    // While drawing or dragging a corner, a drag draws instead of panning, a double click or
    // tap closes instead of zooming, and two fingers do not zoom under the finger drawing.
    this._handlers(!busy);
    this.map.getCanvas().style.cursor = mode === "rectangle" || mode === "polygon" ? "crosshair" : "";
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
    const closable = this.mode === "polygon" && this.corners.length >= 3;
    this.corners.forEach((c, i) => features.push({
      type: "Feature",
      properties: { i, first: closable && i === 0 },
      geometry: { type: "Point", coordinates: c },
    }));
    this.map.getSource(SOURCE).setData({ type: "FeatureCollection", features });
  }

  _finish() {
    this.pending = null;
    this.start = null;
    this._setMode("idle");
    this._render();
    this.onChange(this.polygon());
  }

  _rectangle(a, b) {
    return [[a.lng, a.lat], [b.lng, a.lat], [b.lng, b.lat], [a.lng, b.lat]];
  }

  _point(e) {
    const rect = this.map.getCanvasContainer().getBoundingClientRect();
    return { x: e.clientX - rect.left, y: e.clientY - rect.top };
  }

  _lngLat(p) {
    return this.map.unproject([p.x, p.y]);
  }

  // The corner under a point (pixels), within the 44 px handle; -1 if none.
  _cornerAt(p) {
    let best = -1;
    let bestDistance = HANDLE_RADIUS_PX;
    this.corners.forEach((c, i) => {
      const q = this.map.project(c);
      const d = Math.hypot(q.x - p.x, q.y - p.y);
      if (d <= bestDistance) { best = i; bestDistance = d; }
    });
    return best;
  }

  _showHandles(pointerType) {
    const touch = pointerType === "touch" || pointerType === "pen" || this.coarse;
    this.map.setLayoutProperty("draw-handle", "visibility", touch ? "visible" : "none");
  }

  _tap(p) {
    const now = performance.now();
    const last = this.lastTap;
    this.lastTap = { ...p, t: now };
    const n = this.corners.length;
    if (n >= 3) {
      const first = this.map.project(this.corners[0]);
      if (Math.hypot(first.x - p.x, first.y - p.y) <= HANDLE_RADIUS_PX) { this._finish(); return; }
      // A double tap (or double click) on the last corner closes the polygon.
      const lastCorner = this.map.project(this.corners[n - 1]);
      if (last && now - last.t < DOUBLE_TAP_MS && Math.hypot(lastCorner.x - p.x, lastCorner.y - p.y) <= HANDLE_RADIUS_PX) {
        this._finish();
        return;
      }
    }
    const ll = this._lngLat(p);
    this.corners.push([ll.lng, ll.lat]);
    this._render();
    this.onModeChange(this.mode); // the panel enables "Finish" from the third corner
  }

  _down(e) {
    if (!e.isPrimary || (e.pointerType === "mouse" && e.button !== 0)) return;
    const p = this._point(e);
    this._showHandles(e.pointerType);
    if (this.mode === "idle") {
      const i = this.corners.length ? this._cornerAt(p) : -1;
      if (i < 0) return; // the map pans as usual
      this.dragIndex = i;
      this._setMode("drag-vertex");
    } else if (this.mode === "rectangle") {
      this.start = this._lngLat(p);
    } else if (this.mode !== "polygon") {
      return;
    }
    this.press = { id: e.pointerId, x: p.x, y: p.y };
    // Ours from here: no compatibility mouse events for MapLibre, no text selection.
    e.preventDefault();
    e.stopPropagation();
    this.map.getCanvasContainer().setPointerCapture(e.pointerId);
  }

  _move(e) {
    if (!e.isPrimary) return;
    const p = this._point(e);
    const pressed = this.press && this.press.id === e.pointerId;
    if (this.mode === "rectangle" && this.start && pressed) {
      this.corners = this._rectangle(this.start, this._lngLat(p));
      this._render();
    } else if (this.mode === "polygon" && this.corners.length && (e.pointerType === "mouse" || pressed)) {
      const ll = this._lngLat(p);
      this.pending = [ll.lng, ll.lat];
      this._render();
    } else if (this.mode === "drag-vertex" && pressed) {
      const ll = this._lngLat(p);
      this.corners[this.dragIndex] = [ll.lng, ll.lat];
      this._render();
    }
  }

  _up(e) {
    if (!this.press || this.press.id !== e.pointerId) return;
    const p = this._point(e);
    const moved = Math.hypot(p.x - this.press.x, p.y - this.press.y);
    this.press = null;
    if (this.mode === "rectangle" && this.start) {
      if (moved < TAP_SLOP_PX) { this.start = null; return; } // a tap draws no rectangle
      this.corners = this._rectangle(this.start, this._lngLat(p));
      this._finish();
    } else if (this.mode === "polygon") {
      this.pending = e.pointerType === "mouse" ? this.pending : null;
      if (moved < TAP_SLOP_PX) this._tap(p);
      else this._render();
    } else if (this.mode === "drag-vertex") {
      this.dragIndex = -1;
      this._finish();
    }
  }

  _cancelPress(e) {
    if (!this.press || this.press.id !== e.pointerId) return;
    this.press = null;
    if (this.mode === "rectangle") { this.start = null; this.corners = []; this._render(); }
    else if (this.mode === "drag-vertex") { this.dragIndex = -1; this._finish(); }
  }

  _bind() {
    const box = this.map.getCanvasContainer();
    box.addEventListener("pointerdown", (e) => this._down(e));
    box.addEventListener("pointermove", (e) => this._move(e));
    box.addEventListener("pointerup", (e) => this._up(e));
    box.addEventListener("pointercancel", (e) => this._cancelPress(e));
    // Belt and braces for browsers that ignore touch-action: no page scroll or pinch-zoom
    // while a finger draws.
    box.addEventListener("touchmove", (e) => { if (this.mode !== "idle") e.preventDefault(); }, { passive: false });
    box.addEventListener("keydown", (e) => {
      if (this.mode === "idle") return;
      if (e.key === "Escape") this.cancel();
      else if (e.key === "Enter" && this.mode === "polygon") this.finish();
      else if (e.key === "Backspace" && this.mode === "polygon") this.undo();
    });
  }
}
