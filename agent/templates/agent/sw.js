/* Ronde field app service worker (scope {{ shell_url }}), version {{ version }}.
 * Rendered by agent.views.service_worker so the precache list has the real static URLs.
 * - app shell: precached at install; navigations are network-first, the cached shell offline;
 * - static files: cache-first (their content changes the version, hence the cache name);
 * - map tiles (/tiles/…): cache-first, stored as fetched (the page pre-fills them per mission);
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
    event.respondWith(cacheFirst(request, TILE_CACHE));
  } else if (url.pathname.startsWith("/static/") || url.pathname.startsWith(`${SHELL_URL}icon-`)) {
    event.respondWith(caches.match(request).then((hit) => hit || cacheFirst(request, SHELL_CACHE)));
  }
});
