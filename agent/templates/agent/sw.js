/* Ronde field app service worker (scope {{ shell_url }}), version {{ version }}.
 * Rendered by agent.views.service_worker so the precache list has the real static URLs.
 * - app shell: precached at install; navigations are network-first, the cached shell offline;
 * - static files: cache-first (their content changes the version, hence the cache name);
 * - map tiles and style (/tiles/…): the cached copy at once, refreshed in the background when
 *   the network answers (stale-while-revalidate); the page pre-fills a mission zone's tiles;
 * - field API GETs: network-first with the last answer as fallback. Writes are never cached:
 *   the page's IndexedDB outbox owns them. */
const VERSION = "{{ version }}";
const SHELL_CACHE = `ronde-shell-${VERSION}`;
const DATA_CACHE = "ronde-data";
const TILE_CACHE = "ronde-tiles";
const SHELL_URL = "{{ shell_url }}";
const PRECACHE = {{ precache|safe }};

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(SHELL_CACHE).then((cache) =>
      Promise.all(PRECACHE.map((url) => cache.add(new Request(url, { credentials: "same-origin", cache: "reload" }))))
    ).then(() => self.skipWaiting())
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys().then((keys) =>
      Promise.all(keys.filter((k) => k.startsWith("ronde-shell-") && k !== SHELL_CACHE).map((k) => caches.delete(k)))
    ).then(() => self.clients.claim())
  );
});

async function networkFirst(request, cacheName, fallbackUrl) {
  const cache = await caches.open(cacheName);
  try {
    const response = await fetch(request);
    // A redirect to the login page is not the shell: keep the cached one.
    if (response.ok && !response.redirected) {
      await cache.put(fallbackUrl || request, response.clone());
    }
    return response;
  } catch (err) {
    const cached = await cache.match(fallbackUrl || request, { ignoreSearch: !!fallbackUrl });
    if (cached) return cached;
    throw err;
  }
}

async function cacheFirst(request, cacheName) {
  const cache = await caches.open(cacheName);
  const cached = await cache.match(request);
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok) await cache.put(request, response.clone());
  return response;
}

// Tiles carry "Vary: Cookie, Authorization…", headers a service worker never sees: match
// on the URL alone. Only the caller's own tiles are ever in this cache (per-device storage).
async function cachedThenRefresh(event, cacheName) {
  const cache = await caches.open(cacheName);
  const cached = await cache.match(event.request, { ignoreVary: true });
  const refresh = fetch(event.request).then(async (response) => {
    if (response.ok) await cache.put(event.request, response.clone());
    return response;
  });
  if (cached) {
    event.waitUntil(refresh.catch(() => undefined)); // offline: the cached tile is all there is
    return cached;
  }
  return refresh;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate" && url.pathname.startsWith(SHELL_URL)) {
    event.respondWith(networkFirst(request, SHELL_CACHE, SHELL_URL));
  } else if (url.pathname.startsWith(`${SHELL_URL}api/`)) {
    event.respondWith(networkFirst(request, DATA_CACHE));
  } else if (url.pathname.startsWith("/tiles/")) {
    event.respondWith(cachedThenRefresh(event, TILE_CACHE));
  } else if (url.pathname.startsWith("/static/") || url.pathname.startsWith(`${SHELL_URL}icon-`)) {
    event.respondWith(caches.match(request).then((hit) => hit || cacheFirst(request, SHELL_CACHE)));
  }
});
