// Ronde field app: missions → ordered stops (list first, map second) → record an
// intervention in a few steps; report a new tag; everything goes through the outbox.
import { get, put } from "./db.js";
import * as outbox from "./outbox.js";
import { bearingDeg, compass, currentPosition, distanceM, formatDistance, geoUri, onPosition, watchPosition, webMapUrl } from "./geo.js";
import { TILE_CAP, precacheTiles, showMissionMap } from "./map.js";
import { downscale } from "./photos.js";

const CONFIG = JSON.parse(document.getElementById("agent-config").textContent);
const STRINGS = JSON.parse(document.getElementById("agent-strings").textContent);
const PLURALS = JSON.parse(document.getElementById("agent-plurals").textContent);
// The page's language (French by default): plural categories and number formats follow it.
const LANG = document.documentElement.lang || "fr";
const PLURAL_RULES = new Intl.PluralRules(LANG);
const INTEGER = new Intl.NumberFormat(LANG, { maximumFractionDigits: 0 });
export const formatNumber = (x, digits = 2) => new Intl.NumberFormat(LANG, { maximumFractionDigits: digits }).format(x);
const app = document.getElementById("app");
outbox.configure({ api: CONFIG.api });

const fill = (text, params) => text.replace(/%\((\w+)\)s/g, (_, k) => String(params[k] ?? ""));
export function t(msgid, params = {}) {
  return fill(STRINGS[msgid] || msgid, params);
}
// A message with a count: the plural form for `n` in the page language; numbers localised.
export function tn(key, n, params = {}) {
  const forms = PLURALS[key] || {};
  const text = forms[PLURAL_RULES.select(n)] || forms.other || `${key} %(n)s`;
  const shown = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, typeof v === "number" ? INTEGER.format(v) : v]));
  return fill(text, { ...shown, n: INTEGER.format(n) });
}

function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "text") el.textContent = v;
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) el.append(c.nodeType ? c : String(c));
  return el;
}

function announce(text) {
  const live = document.getElementById("announce");
  live.textContent = "";
  setTimeout(() => { live.textContent = text; }, 50);
}

function render(title, ...content) {
  app.replaceChildren(h("h1", { tabindex: "-1", id: "screen-title" }, title), ...content);
  app.dataset.ready = "true";
  document.title = `${title} · Ronde`;
  document.getElementById("screen-title").focus();
}

const statusLabel = (s) => ({ done: t("Done"), not_done: t("Not done"), in_progress: t("In progress") })[s] || t("To do");

// ---------- data: network first, the device's copy when offline ----------
async function fetchJson(path, storeKey) {
  try {
    const r = await fetch(`${CONFIG.api}${path}`, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (!r.ok) throw new Error(`HTTP ${r.status}`);
    const data = await r.json();
    await put("missions", { key: storeKey, data, savedAt: Date.now() });
    return { data, offline: false };
  } catch (err) {
    const saved = await get("missions", storeKey);
    if (saved) return { data: saved.data, offline: true };
    if (String(err.message).startsWith("HTTP 404")) return { data: null, offline: false, notFound: true };
    return { data: null, offline: true };
  }
}

const workKey = (missionId, stopKey) => `${missionId}:${stopKey}`;
async function loadWork(missionId, stop) {
  return (await get("work", workKey(missionId, stop.key))) || {
    key: workKey(missionId, stop.key), uuid: stop.client_uuid || outbox.uuid(), step: "start",
    values: { ...stop.defaults }, photos: { before: 0, after: 0 }, status: stop.status,
  };
}

// ---------- screens ----------
async function missionsScreen() {
  const { data, offline } = await fetchJson("missions/", "list");
  if (!data) { render(t("My missions"), h("p", { class: "error" }, t("Could not load the missions and none are saved on this device."))); return; }
  const today = data.today;
  const item = (m) => h("li", { class: "card mission-card" },
    h("a", { href: `#/m/${m.id}`, "data-mission-id": m.id, class: "block-link" }, m.name),
    h("p", {}, `${m.date} · ${m.team}`, m.status === "cancelled" ? h("strong", { class: "error" }, ` · ${t("Cancelled")}`) : ""));
  const todays = data.missions.filter((m) => m.date === today);
  const coming = data.missions.filter((m) => m.date > today);
  render(t("My missions"),
    offline ? h("p", { class: "notice" }, t("Mission list saved on this device (offline).")) : "",
    h("h2", {}, t("Today")),
    todays.length ? h("ul", { class: "cards" }, todays.map(item)) : h("p", {}, t("No mission for today or the coming days.")),
    coming.length ? [h("h2", {}, t("Coming")), h("ul", { class: "cards" }, coming.map(item))] : "",
    h("p", {}, h("a", { href: "#/report", class: "button", id: "report-link" }, t("Report a new tag"))),
  );
}

function distanceText(position) {
  const me = currentPosition();
  if (!me || !position) return t("Position unknown");
  return t("%(d)s away, towards %(b)s", { d: formatDistance(distanceM(me.lonlat, position), LANG), b: t(compass(bearingDeg(me.lonlat, position))) });
}

function goThere(stop) {
  const label = `${stop.sequence || ""} ${stop.category}`.trim();
  return h("div", { class: "go-there" },
    h("a", { href: geoUri(stop.position, label), class: "button primary", "data-go": "geo" }, t("Go there")),
    h("a", { href: webMapUrl(stop.position), class: "button", rel: "noopener", target: "_blank", "data-go": "web" }, t("Open in the browser map")),
    h("p", { class: "distance", "data-position": stop.position.join(",") }, distanceText(stop.position)));
}

async function missionScreen(id) {
  const { data: mission, offline, notFound } = await fetchJson(`missions/${id}/`, `m${id}`);
  if (!mission) { render(t("Mission not found on this device."), h("p", {}, h("a", { href: "#/" }, t("Back to missions")))); return; }
  const works = await Promise.all(mission.stops.map((s) => loadWork(id, s)));
  const list = h("ol", { class: "stops", id: "stops" }, mission.stops.map((stop, i) => {
    const status = works[i].status || stop.status;
    return h("li", { class: `stop status-${status}`, "data-stop-key": stop.key, "data-status": status },
      h("div", { class: "stop-head" },
        h("span", { class: "seq", "aria-hidden": "true" }, String(stop.sequence || i + 1)),
        h("a", { href: `#/m/${id}/s/${stop.key}`, class: "block-link stop-open" }, `${stop.category}${stop.address ? ` — ${stop.address}` : ""}`),
        h("span", { class: `badge status-${status}` }, statusLabel(status))),
      stop.description ? h("p", {}, stop.description) : "",
      goThere(stop));
  }));
  const mapBox = h("div", { class: "map", id: "mission-map", role: "region", "aria-label": t("Map") });
  render(mission.name,
    h("p", {}, h("a", { href: "#/" }, t("Back to missions"))),
    mission.status === "cancelled" ? h("p", { class: "message error", role: "alert" }, t("Mission cancelled: work you record is kept and flagged to the dispatcher.")) : "",
    h("h2", {}, t("Stops")), list,
    h("h2", {}, t("Map")), mapBox,
    h("p", { id: "tile-status", class: "muted", "aria-live": "polite" }));
  const saved = await get("missions", `tiles:m${id}`);
  const handle = await showMissionMap(mapBox, mission, {
    t, styleUrl: CONFIG.tiles && CONFIG.tiles.style, workerUrl: CONFIG.maplibreWorker, offlineMaxZoom: saved ? saved.savedMaxZoom : null,
    onStop: (s) => { location.hash = `#/m/${id}/s/${s.key}`; },
  });
  const update = (p) => {
    if (handle) handle.setPosition(p.lonlat);
    document.querySelectorAll(".distance[data-position]").forEach((el) => { el.textContent = distanceText(el.dataset.position.split(",").map(Number)); });
  };
  if (currentPosition()) update(currentPosition());
  const stop = onPosition(update);
  window.addEventListener("hashchange", stop, { once: true });
  // Reopened offline: what was saved last time; online: saving (again: new tiles, fresh data).
  showTileStatus(saved ? { ...saved, state: offline ? saved.state : "saving" } : { state: offline ? "offline" : "saving" });
  if (!offline) {
    precacheTiles(mission.bbox, { styleUrl: CONFIG.tiles && CONFIG.tiles.style, onProgress: (p) => showTileStatus({ ...p, state: "saving" }) })
      .then(async (r) => {
        const state = r.offline ? "offline" : r.done + r.failed === r.total ? "complete" : "partial";
        // Kept with the mission: reopened offline, the map knows which zoom levels exist.
        if (r.total) await put("missions", { key: `tiles:m${id}`, ...r, state, savedAt: Date.now() });
        showTileStatus({ ...r, state });
      });
  }
}

// "Map saved for offline use: n/N tiles", kept on the page's data-* for tests and styling.
function showTileStatus({ done = 0, failed = 0, total = 0, capped = false, savedMaxZoom = null, state }) {
  const el = document.getElementById("tile-status");
  if (!el) return;
  Object.assign(el.dataset, { state, done, failed, total, capped, savedMaxZoom: savedMaxZoom ?? "" });
  el.setAttribute("aria-busy", String(state === "saving")); // read out once, when finished
  const lines = [total ? tn("tiles", total, { done }) : state === "offline" ? t("The map is not saved for offline use yet: it will be when the network is back.") : ""];
  if (capped) lines.push(t("This zone is too large to keep all of its map offline: saved down to zoom level %(z)s (at most %(cap)s tiles per mission).", { z: savedMaxZoom, cap: INTEGER.format(TILE_CAP) }));
  el.textContent = lines.filter(Boolean).join(" ");
  el.classList.toggle("warning", !!capped);
}

function select(id, label, choices, value, required = false) {
  return [h("label", { for: id }, label), h("select", { id, name: id, required },
    h("option", { value: "" }, t("Choose…")),
    choices.map(([v, l]) => h("option", { value: v, selected: v === value }, l)))];
}

async function saveWork(work, mission, stop, extra = {}) {
  work.values = { ...work.values, ...extra };
  await put("work", work);
  const body = {
    client_updated_at: new Date().toISOString(),
    stop_id: stop.stop_id, intervention_id: stop.intervention_id, mission_id: mission.id,
    status: work.status, ...work.values,
  };
  if (body.surface_m2 === "" || body.surface_m2 === undefined) body.surface_m2 = null;
  delete body.priority;
  await outbox.queueIntervention(work.uuid, body);
  scheduleSync();
}

async function photoInput(kind, work, mission) {
  const id = `photo-${kind}`;
  const count = h("p", { id: `${id}-count`, "aria-live": "polite" }, tn("photos", work.photos[kind]));
  const input = h("input", { type: "file", id, accept: "image/*", capture: "environment", multiple: true, class: "file" });
  input.addEventListener("change", async () => {
    for (const file of input.files) {
      const blob = await downscale(file);
      const pos = currentPosition();
      await outbox.queuePhoto(outbox.uuid(), {
        kind, intervention: work.uuid, taken_at: new Date(file.lastModified || Date.now()).toISOString(),
        lon: pos ? pos.lonlat[0] : null, lat: pos ? pos.lonlat[1] : null,
      }, blob);
      work.photos[kind] += 1;
    }
    input.value = "";
    await put("work", work);
    count.textContent = tn("photos", work.photos[kind]);
    announce(count.textContent);
    scheduleSync();
  });
  return [h("label", { for: id, class: "button file-label" }, t("Take or choose a photo")), input, count];
}

const STEPS = ["start", "before", "form", "after", "done"];

async function stopScreen(missionId, stopKey) {
  const saved = await get("missions", `m${missionId}`);
  const mission = saved ? saved.data : (await fetchJson(`missions/${missionId}/`, `m${missionId}`)).data;
  const stop = mission && mission.stops.find((s) => s.key === stopKey);
  if (!stop) { render(t("Stop not found in this mission."), h("p", {}, h("a", { href: `#/m/${missionId}` }, t("Back to the mission")))); return; }
  const work = await loadWork(missionId, stop);
  const back = h("p", {}, h("a", { href: `#/m/${missionId}` }, t("Back to the mission")));
  const title = `${stop.sequence || ""}. ${stop.category}`;
  const go = async (step) => { work.step = step; await put("work", work); stopScreen(missionId, stopKey); };
  const stepNo = STEPS.indexOf(work.step) + 1;
  const progress = h("p", { class: "step", "data-step": work.step }, t("Step %(n)s of %(t)s", { n: stepNo, t: STEPS.length }));
  const nav = (prev, next, nextLabel = t("Next"), nextId = "btn-next") => h("div", { class: "actions" },
    prev ? h("button", { type: "button", id: "btn-prev", onclick: () => go(prev) }, t("Previous")) : "",
    h("button", { type: "submit", id: nextId, class: "primary", onclick: next }, nextLabel));

  if (work.step === "start") {
    const reason = select("f-reason", t("Reason"), CONFIG.choices.reason, work.values.not_done_reason || "", true);
    const notDone = h("form", { class: "form not-done", id: "not-done-form", onsubmit: async (e) => {
      e.preventDefault();
      work.status = "not_done"; work.step = "done";
      await saveWork(work, mission, stop, { not_done_reason: document.getElementById("f-reason").value, ended_at: new Date().toISOString() });
      announce(t("Intervention saved; it will be sent with the next sync."));
      stopScreen(missionId, stopKey);
    } }, h("h2", {}, t("Not done")), reason, h("button", { type: "submit", id: "btn-not-done", class: "danger" }, t("Save: not done")));
    render(title, back, progress, stop.description ? h("p", {}, stop.description) : "", goThere(stop),
      h("button", { type: "button", id: "btn-start", class: "primary big", onclick: async () => {
        work.status = "in_progress"; work.step = "before";
        await saveWork(work, mission, stop, { started_at: new Date().toISOString() });
        stopScreen(missionId, stopKey);
      } }, t("Start")), notDone);
  } else if (work.step === "before" || work.step === "after") {
    const kind = work.step;
    const finish = kind === "after";
    render(title, back, progress, h("h2", {}, kind === "before" ? t("Before photo") : t("After photo")),
      h("div", { class: "form" }, ...(await photoInput(kind, work, mission))),
      nav(kind === "before" ? null : "form", async () => {
        if (finish) {
          work.status = "done"; work.step = "done";
          await saveWork(work, mission, stop, { ended_at: new Date().toISOString() });
          announce(t("Intervention saved; it will be sent with the next sync."));
          stopScreen(missionId, stopKey);
        } else go("form");
      }, finish ? t("Finish: work done") : t("Next"), finish ? "btn-finish" : "btn-next"));
  } else if (work.step === "form") {
    const v = work.values;
    const form = h("form", { class: "form", id: "work-form", onsubmit: async (e) => {
      e.preventDefault();
      const val = (id) => document.getElementById(id).value;
      await saveWork(work, mission, stop, {
        support: val("f-support"), method: val("f-method"), product: val("f-product"), notes: val("f-notes"),
        surface_m2: val("f-surface").trim().replace(",", ".") || null, offensive: document.getElementById("f-offensive").checked,
      });
      go("after");
    } },
      h("h2", {}, t("What was done")),
      ...select("f-support", t("Support"), CONFIG.choices.support, v.support),
      h("label", { for: "f-surface" }, t("Surface (m²)")),
      // Text, not type=number: the agent types "2,5" in French; sent with a dot.
      h("input", { id: "f-surface", "aria-describedby": "f-surface-hint", type: "text", inputmode: "decimal", autocomplete: "off", pattern: "\\s*[0-9]{1,6}([.,][0-9]{1,2})?\\s*", value: v.surface_m2 ? formatNumber(Number(v.surface_m2)).replace(/\s/g, "") : "" }),
      h("p", { id: "f-surface-hint", class: "hint" }, t("For example %(x)s", { x: formatNumber(2.5) })),
      ...select("f-method", t("Method"), CONFIG.choices.method, v.method),
      h("label", { for: "f-product" }, t("Product")), h("input", { id: "f-product", type: "text", maxlength: "120", value: v.product || "" }),
      h("div", { class: "check" }, h("input", { id: "f-offensive", type: "checkbox", checked: !!v.offensive }), h("label", { for: "f-offensive" }, t("Offensive content"))),
      h("label", { for: "f-notes" }, t("Notes")), h("textarea", { id: "f-notes", rows: "3" }, v.notes || ""),
      nav("before", null));
    render(title, back, progress, form);
  } else {
    render(title, back, h("p", { class: "message", "data-done": work.status, role: "status" }, `${statusLabel(work.status)} — ${t("Intervention saved; it will be sent with the next sync.")}`),
      h("p", {}, h("a", { href: `#/m/${missionId}`, class: "button primary", id: "btn-back-mission" }, t("Back to the mission"))));
  }
}

async function reportScreen() {
  const { data } = await fetchJson("missions/", "list");
  const categories = data ? data.categories : [];
  const reportUuid = outbox.uuid();
  const photos = [];
  const posText = h("p", { id: "r-position", "aria-live": "polite" }, currentPosition() ? t("Position: %(p)s", { p: currentPosition().lonlat.map((x) => formatNumber(x, 5)).join(" ; ") }) : t("Position unknown"));
  const unsub = onPosition((p) => { posText.textContent = t("Position: %(p)s", { p: p.lonlat.map((x) => formatNumber(x, 5)).join(" ; ") }); });
  window.addEventListener("hashchange", unsub, { once: true });
  const photo = h("input", { type: "file", id: "r-photo", accept: "image/*", capture: "environment", multiple: true, class: "file", "aria-describedby": "r-photo-count r-error" });
  const count = h("p", { id: "r-photo-count", "aria-live": "polite" }, tn("photos", 0));
  photo.addEventListener("change", async () => { for (const f of photo.files) photos.push(await downscale(f)); count.textContent = tn("photos", photos.length); });
  const error = h("p", { class: "error", role: "alert", id: "r-error" });
  const form = h("form", { class: "form", id: "report-form", onsubmit: async (e) => {
    e.preventDefault();
    const pos = currentPosition();
    if (!pos) { error.textContent = t("A position is needed."); return; }
    if (!photos.length) { error.textContent = t("A photo is needed."); photo.setAttribute("aria-invalid", "true"); photo.focus(); return; }
    await outbox.queueReport(reportUuid, {
      category_id: Number(document.getElementById("r-category").value), description: document.getElementById("r-description").value,
      support: document.getElementById("r-support").value, offensive: document.getElementById("r-offensive").checked,
      lon: pos.lonlat[0], lat: pos.lonlat[1], reported_at: new Date().toISOString(),
    });
    for (const blob of photos) await outbox.queuePhoto(outbox.uuid(), { kind: "before", report: reportUuid, taken_at: new Date().toISOString(), lon: pos.lonlat[0], lat: pos.lonlat[1] }, blob);
    announce(t("Report saved; it will be sent with the next sync."));
    scheduleSync();
    location.hash = "#/";
  } },
    ...select("r-category", t("Category"), categories.map((c) => [String(c.id), c.name]), "", true),
    h("label", { for: "r-photo", class: "button file-label" }, t("Take or choose a photo")), photo, count,
    posText,
    ...select("r-support", t("Support"), CONFIG.choices.support, ""),
    h("div", { class: "check" }, h("input", { id: "r-offensive", type: "checkbox" }), h("label", { for: "r-offensive" }, t("Offensive content"))),
    h("label", { for: "r-description" }, t("Description")), h("textarea", { id: "r-description", rows: "3" }),
    error, h("button", { type: "submit", class: "primary", id: "r-submit" }, t("Send the report")));
  render(t("Report a new tag"), h("p", {}, h("a", { href: "#/" }, t("Back to missions"))), form);
}

async function outboxScreen() {
  const [waiting, sent] = await Promise.all([outbox.pending(), outbox.recentlySent()]);
  const label = { intervention: t("Intervention"), photo: t("Photo"), report: t("Report") };
  const row = (i) => h("li", { "data-type": i.type }, `${label[i.type]} · ${new Date(i.created).toLocaleString()}`, i.error ? h("span", { class: "error" }, ` — ${t("Error")}: ${i.error}`) : "");
  render(t("Waiting to be sent"),
    h("p", {}, h("a", { href: "#/" }, t("Back to missions"))),
    waiting.length ? h("ul", { id: "outbox-list" }, waiting.map(row)) : h("p", {}, t("Nothing waiting")),
    h("h2", {}, t("Sent in the last two days")),
    h("ul", { id: "sent-list" }, sent.sort((a, b) => b.sentAt - a.sentAt).slice(0, 200).map(row)),
    h("p", {}, t("Resending is safe: the server ignores what it already has.")),
    h("button", { type: "button", id: "btn-resend", onclick: async () => { await outbox.requeue(); await syncNow(); outboxScreen(); } }, t("Send again")));
}

// ---------- sync and status bar ----------
function showCounts(c) {
  const el = document.getElementById("outbox-summary");
  el.dataset.interventions = c.interventions; el.dataset.photos = c.photos; el.dataset.reports = c.reports; el.dataset.failed = c.failed;
  // "2 interventions, 5 photos waiting": only the kinds there are, each with its plural.
  const items = ["interventions", "photos", "reports"].filter((k) => c[k]).map((k) => tn(k, c[k]));
  el.textContent = c.total ? (items.length ? t("%(items)s waiting", { items: items.join(", ") }) : "")
    + (c.failed ? `${items.length ? " · " : ""}${tn("failed", c.failed)}` : "") : t("Nothing waiting");
}
function showNet() {
  const el = document.getElementById("net-state");
  el.dataset.state = navigator.onLine ? "online" : "offline";
  el.textContent = navigator.onLine ? t("Online") : t("Offline: your work is kept on this device");
}

let syncTimer = null;
function scheduleSync() { clearTimeout(syncTimer); syncTimer = setTimeout(() => { if (navigator.onLine) syncNow(true); }, 1500); }

async function syncNow(quiet = false) {
  const bar = document.getElementById("sync-now");
  bar.setAttribute("aria-busy", "true");
  if (!quiet) announce(t("Syncing…"));
  const result = await outbox.sync();
  bar.removeAttribute("aria-busy");
  document.body.dataset.lastSync = result.ok ? "ok" : result.reason;
  const c = await outbox.counts();
  if (!quiet || !result.ok) {
    announce(result.ok ? (c.total ? tn("failed", c.failed) : t("Everything is sent."))
      : result.reason === "auth" ? t("Please log in again to send your work.") : t("The network is not reachable; will retry."));
  }
  return result;
}

// ---------- router ----------
async function route() {
  const parts = location.hash.replace(/^#\/?/, "").split("/").filter(Boolean);
  app.dataset.ready = "false";
  if (parts[0] === "m" && parts[2] === "s") await stopScreen(Number(parts[1]), parts[3]);
  else if (parts[0] === "m") await missionScreen(Number(parts[1]));
  else if (parts[0] === "report") await reportScreen();
  else if (parts[0] === "outbox") await outboxScreen();
  else await missionsScreen();
}

outbox.onChange((c) => showCounts(c));
document.getElementById("sync-now").addEventListener("click", () => syncNow());
window.addEventListener("online", () => { showNet(); syncNow(true); });
window.addEventListener("offline", showNet);
window.addEventListener("hashchange", route);
setInterval(() => { if (navigator.onLine) syncNow(true); }, 60_000);

if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register(CONFIG.sw, { scope: CONFIG.scope }).catch(() => {});
}
showNet();
watchPosition();
outbox.counts().then(showCounts);
route().then(() => { if (navigator.onLine) syncNow(true); });
