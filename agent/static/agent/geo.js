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

// geo: URI (Android hands it to the navigation app) and a web fallback.
export function geoUri([lon, lat], label) {
  return `geo:${lat},${lon}?q=${lat},${lon}(${encodeURIComponent(label || "")})`;
}
export function webMapUrl([lon, lat]) {
  return `https://www.openstreetmap.org/directions?to=${lat}%2C${lon}#map=18/${lat}/${lon}`;
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
