// The search box: an address or a street of the community (GET /api/v1/addresses/search/),
// WAI-ARIA combobox with a listbox popup. A pick is announced to the page's map as a
// "ronde:place" event on document ({lon, lat, kind, label}); followPlaces() shows it there.

// Fly `map` to each place picked in the search box and mark it; the container's data-place
// says where (for people's scripts and the browser tests). Returns the listener's remover.
export function followPlaces(map, maplibregl) {
  let marker = null;
  const go = (event) => {
    if (!map.getContainer().isConnected) return;
    const { lon, lat, kind } = event.detail;
    if (marker) marker.remove();
    marker = new maplibregl.Marker({ color: "#1d4f91" }).setLngLat([lon, lat]).addTo(map);
    map.flyTo({ center: [lon, lat], zoom: kind === "address" ? 18 : 16 });
    map.getContainer().dataset.place = `${lon},${lat}`;
  };
  document.addEventListener("ronde:place", go);
  return () => document.removeEventListener("ronde:place", go);
}

// Once per page, even if this module is loaded under two URLs (a <script> tag and a
// map's import, hashed differently by the static files storage).
const root = document.querySelector(".address-search:not([data-ready])");
if (root) {
  root.dataset.ready = "true";
  const input = root.querySelector("input");
  const list = root.querySelector("[role=listbox]");
  const status = root.querySelector("[role=status]");
  let hits = [];
  let active = -1;
  let timer = null;
  let asked = 0;

  const close = () => {
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
  };

  const highlight = (index) => {
    active = index;
    list.querySelectorAll("[role=option]").forEach((li, i) => li.setAttribute("aria-selected", String(i === index)));
    if (index >= 0) {
      const li = list.children[index];
      input.setAttribute("aria-activedescendant", li.id);
      li.scrollIntoView({ block: "nearest" });
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  };

  const pick = (index) => {
    const hit = hits[index];
    if (!hit) return;
    input.value = hit.label;
    close();
    status.textContent = hit.label;
    document.dispatchEvent(new CustomEvent("ronde:place", { detail: hit }));
  };

  const render = () => {
    list.replaceChildren();
    hits.forEach((hit, i) => {
      const li = document.createElement("li");
      li.id = `address-search-option-${i}`;
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", "false");
      li.textContent = hit.label;
      const where = document.createElement("small");
      where.textContent = [hit.kind === "street" ? root.dataset.street : "", hit.postcode, hit.commune].filter(Boolean).join(" · ");
      li.append(where);
      li.addEventListener("mousedown", (event) => { event.preventDefault(); pick(i); });
      list.append(li);
    });
    const open = hits.length > 0;
    list.hidden = !open;
    input.setAttribute("aria-expanded", String(open));
    status.textContent = open ? root.dataset.found.replace("%(count)s", hits.length) : root.dataset.none;
  };

  const search = async () => {
    const q = input.value.trim();
    if (q.length < 2) { hits = []; close(); return; }
    const ticket = ++asked;
    const url = new URL(root.dataset.url, window.location.href);
    url.searchParams.set("q", q);
    if (root.dataset.community) url.searchParams.set("community", root.dataset.community);
    try {
      const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const body = await response.json();
      if (ticket !== asked) return; // a newer query was typed meanwhile
      hits = body.results;
      active = -1;
      render();
    } catch (error) {
      status.textContent = root.dataset.error;
    }
  };

  input.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(search, 150); });
  input.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown") {
      event.preventDefault();
      if (list.hidden && hits.length) { list.hidden = false; input.setAttribute("aria-expanded", "true"); }
      highlight(Math.min(active + 1, hits.length - 1));
    } else if (event.key === "ArrowUp") {
      event.preventDefault();
      highlight(Math.max(active - 1, 0));
    } else if (event.key === "Enter") {
      if (hits.length) { event.preventDefault(); pick(active >= 0 ? active : 0); }
    } else if (event.key === "Escape") {
      if (!list.hidden) { event.preventDefault(); close(); } else { input.value = ""; }
    }
  });
  input.addEventListener("blur", close);
}
