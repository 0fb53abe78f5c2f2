// Distances and bearings on the sphere (metres, degrees), the device position, map links.
const R = 6371008.8; // mean Earth radius, metres
const rad = (d) => (d * Math.PI) / 180;

export function distanceM([lon1, lat1], [lon2, lat2]) {
  const dLat = rad(lat2 - lat1);
  const dLon = rad(lon2 - lon1);
  const a = Math.sin(dLat / 2) ** 2 + Math.cos(rad(lat1)) * Math.cos(rad(lat2)) * Math.sin(dLon / 2) ** 2;
  return 2 * R * Math.asin(Math.sqrt(a));
}

export function bearingDeg([lon1, lat1], [lon2, lat2]) {
  const y = Math.sin(rad(lon2 - lon1)) * Math.cos(rad(lat2));
  const x = Math.cos(rad(lat1)) * Math.sin(rad(lat2)) - Math.sin(rad(lat1)) * Math.cos(rad(lat2)) * Math.cos(rad(lon2 - lon1));
  return ((Math.atan2(y, x) * 180) / Math.PI + 360) % 360;
}

export const COMPASS = ["N", "NE", "E", "SE", "S", "SW", "W", "NW"];
export const compass = (deg) => COMPASS[Math.round(deg / 45) % 8];

// "850 m", "1,2 km" in French, "1.2 km" in English.
export function formatDistance(m, lang = "fr") {
  const unit = m < 1000 ? "meter" : "kilometer";
  const value = m < 1000 ? Math.round(m) : m / 1000;
  return new Intl.NumberFormat(lang, { style: "unit", unit, unitDisplay: "short", maximumFractionDigits: m < 1000 ? 0 : 1 }).format(value);
}

// geo: URI (Android hands it to the navigation app); the walking route itself is drawn in
// the app from the mission's street network (below), with no network needed.
export function geoUri([lon, lat], label) {
  return `geo:${lat},${lon}?q=${lat},${lon}(${encodeURIComponent(label || "")})`;
}

// The last known position, kept fresh while the app is open.
let last = null;
const listeners = new Set();
export function currentPosition() { return last; }
export function onPosition(fn) { listeners.add(fn); return () => listeners.delete(fn); }
export function watchPosition() {
  if (!("geolocation" in navigator)) return;
  navigator.geolocation.watchPosition(
    (p) => {
      last = { lonlat: [p.coords.longitude, p.coords.latitude], accuracy: p.coords.accuracy, at: p.timestamp };
      listeners.forEach((fn) => fn(last));
    },
    () => {},
    { enableHighAccuracy: true, maximumAge: 15000, timeout: 30000 },
  );
}

// ---------- walking routes on the mission's street network, on the device ----------
// The network comes with the mission ({edges: [[length_m, [[lon, lat], ...]], ...]}):
// segments meet where their end coordinates are equal (rounded to 1e-6°, ~0.1 m).
export function buildGraph(network) {
  const ids = new Map();
  const nodes = [];
  const adj = [];
  const node = ([lon, lat]) => {
    const k = `${lon.toFixed(6)},${lat.toFixed(6)}`;
    let i = ids.get(k);
    if (i === undefined) { i = nodes.length; ids.set(k, i); nodes.push([lon, lat]); adj.push([]); }
    return i;
  };
  const edges = (network && network.edges) || [];
  edges.forEach(([len, coords], e) => {
    const a = node(coords[0]);
    const b = node(coords[coords.length - 1]);
    adj[a].push([b, len, e, false]);
    adj[b].push([a, len, e, true]);
  });
  return { nodes, adj, edges };
}

function nearestNode(g, p) {
  let best = -1;
  let bestD = Infinity;
  const k = Math.cos(rad(p[1]));
  for (let i = 0; i < g.nodes.length; i++) {
    const dx = (g.nodes[i][0] - p[0]) * k;
    const dy = g.nodes[i][1] - p[1];
    const d = dx * dx + dy * dy;
    if (d < bestD) { bestD = d; best = i; }
  }
  return best;
}

// Dijkstra from the node nearest to `from` (metres). Kept per position: one tree answers
// every stop of the list.
export function walkTree(g, from) {
  const src = nearestNode(g, from);
  if (src < 0) return null;
  const n = g.nodes.length;
  const dist = new Float64Array(n).fill(Infinity);
  const prev = new Array(n).fill(null);
  dist[src] = 0;
  const heap = [[0, src]];
  const push = (item) => {
    heap.push(item);
    let i = heap.length - 1;
    while (i > 0) { const p = (i - 1) >> 1; if (heap[p][0] <= heap[i][0]) break; [heap[p], heap[i]] = [heap[i], heap[p]]; i = p; }
  };
  const pop = () => {
    const top = heap[0];
    const last = heap.pop();
    if (heap.length) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1; const r = l + 1; let m = i;
        if (l < heap.length && heap[l][0] < heap[m][0]) m = l;
        if (r < heap.length && heap[r][0] < heap[m][0]) m = r;
        if (m === i) break;
        [heap[m], heap[i]] = [heap[i], heap[m]]; i = m;
      }
    }
    return top;
  };
  while (heap.length) {
    const [d, u] = pop();
    if (d > dist[u]) continue;
    for (const [v, len, e, reversed] of g.adj[u]) {
      if (d + len < dist[v]) { dist[v] = d + len; prev[v] = [u, e, reversed]; push([dist[v], v]); }
    }
  }
  return { g, from, src, dist, prev };
}

// The walk from the tree's origin to `to`: {lengthM, coords} (the last metres off the
// network are straight lines), or null when the network does not reach it.
export function walkTo(tree, to) {
  if (!tree) return null;
  const { g, from, src, dist, prev } = tree;
  const dst = nearestNode(g, to);
  if (dst < 0 || !Number.isFinite(dist[dst])) return null;
  const parts = [];
  for (let v = dst; v !== src; v = prev[v][0]) {
    const [, e, reversed] = prev[v];
    const line = g.edges[e][1];
    // The edge was walked from prev[v][0] to v: its coordinates in that order, v last.
    parts.push(reversed ? line : [...line].reverse());
  }
  const coords = [from, g.nodes[src]];
  parts.reverse().forEach((line) => { for (let i = line.length - 1; i >= 0; i--) coords.push(line[i]); });
  coords.push(to);
  const lengthM = distanceM(from, g.nodes[src]) + dist[dst] + distanceM(g.nodes[dst], to);
  return { lengthM, coords };
}
