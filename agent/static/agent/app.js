// Ronde field app: missions → ordered stops (list first, map second) → record an
// intervention in a few steps; report a new tag; everything goes through the outbox.
import { get, getAll, put } from "./db.js";
import * as outbox from "./outbox.js";
import { bearingDeg, buildGraph, compass, currentPosition, distanceM, formatDistance, geoUri, onPosition, walkTo, walkTree, watchPosition } from "./geo.js";
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

// French typography: a no-break space before ":" ";" "!" "?" (some translations have a plain
// space or none), so a label never ends a line with its colon on the next one.
const FRENCH = LANG.startsWith("fr");
export const typo = (text) => (FRENCH ? text.replace(/(\S)[ \u00a0]?([:;!?])(?=\s|$)/g, "$1\u00a0$2") : text);
const fill = (text, params) => typo(text.replace(/%\((\w+)\)s/g, (_, k) => String(params[k] ?? "")));
// "samedi 6 décembre" for an ISO day (read as a local date, not UTC midnight).
const DAY = new Intl.DateTimeFormat(LANG, { weekday: "long", day: "numeric", month: "long" });
export const formatDay = (iso) => { const [y, m, d] = iso.split("-").map(Number); return DAY.format(new Date(y, m - 1, d)); };
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
  // Nested arrays (a heading and its list) are flattened: never "[object HTMLHeadingElement]".
  app.replaceChildren(h("h1", { tabindex: "-1", id: "screen-title" }, title), ...content.flat(Infinity).filter((c) => c !== "" && c !== null && c !== undefined && c !== false));
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
const STEPS = ["start", "before", "form", "after", "done"];

// Where a stop stands on the server (another device, or this one after its store was
// cleared): done/not done → the summary; in progress → the first step not yet recorded.
function serverStep(stop) {
  const rec = stop.recorded || { photos: { before: 0, after: 0 }, form: false };
  if (stop.status === "done" || stop.status === "not_done") return "done";
  if (stop.status !== "in_progress") return "start";
  if (rec.photos.after || rec.form) return "after";
  return rec.photos.before ? "form" : "before";
}

// The device's copy of a stop's work, merged with what the server already has: the
// furthest step, the larger photo count per kind, and no value the server has is
// replaced by an empty one (a reload must never erase what an earlier step recorded).
async function loadWork(missionId, stop) {
  const key = workKey(missionId, stop.key);
  let work = await get("work", key);
  if (!work && (stop.intervention_id || stop.client_uuid)) {
    // The stop's key changed (re-planned): the same intervention under its old key.
    const all = await getAll("work");
    const same = all.find((w) => (stop.client_uuid && w.uuid === stop.client_uuid) || (stop.intervention_id && w.intervention_id === stop.intervention_id));
    if (same) work = { ...same, key };
  }
  const rec = stop.recorded || { photos: { before: 0, after: 0 } };
  const fromServer = Object.fromEntries(Object.entries(stop.defaults || {}).filter(([, v]) => v !== "" && v !== null && v !== undefined && v !== false));
  if (!work) {
    return {
      key, uuid: stop.client_uuid || outbox.uuid(), intervention_id: stop.intervention_id, step: serverStep(stop),
      values: { ...fromServer }, photos: { before: rec.photos.before, after: rec.photos.after },
      status: stop.status === "in_progress" || stop.status === "done" || stop.status === "not_done" ? stop.status : undefined,
    };
  }
  const values = { ...work.values };
  for (const [k, v] of Object.entries(fromServer)) if (values[k] === "" || values[k] === null || values[k] === undefined) values[k] = v;
  // The agent's own navigation on this device wins (they may have gone back a step), unless
  // this device never got past "start" and another one did.
  const step = work.step === "start" ? serverStep(stop) : work.step;
  return {
    ...work, values, step, intervention_id: work.intervention_id || stop.intervention_id,
    photos: { before: Math.max(work.photos.before, rec.photos.before), after: Math.max(work.photos.after, rec.photos.after) },
  };
}

// ---------- screens ----------
async function missionsScreen() {
  const { data, offline } = await fetchJson("missions/", "list");
  if (!data) { render(t("My missions"), h("p", { class: "error" }, t("Could not load the missions and none are saved on this device."))); return; }
  const today = data.today;
  const item = (m) => h("li", { class: "card mission-card" },
    h("a", { href: `#/m/${m.id}`, "data-mission-id": m.id, class: "block-link" }, m.name),
    h("p", {}, h("time", { datetime: m.date }, formatDay(m.date)), ` · ${m.team}`, m.status === "cancelled" ? h("strong", { class: "error" }, ` · ${t("Cancelled")}`) : ""));
  const todays = data.missions.filter((m) => m.date === today);
  const coming = data.missions.filter((m) => m.date > today);
  render(t("My missions"),
    offline ? h("p", { class: "notice" }, t("Mission list saved on this device (offline).")) : "",
    h("h2", {}, t("Today")),
    todays.length ? h("ul", { class: "cards", id: "missions-today" }, todays.map(item))
      : h("p", {}, coming.length ? t("No mission today.") : t("No mission for today or the coming days.")),
    coming.length ? [h("h2", {}, t("Coming")), h("ul", { class: "cards", id: "missions-coming" }, coming.map(item))] : "",
    h("p", {}, h("a", { href: "#/report", class: "button", id: "report-link" }, t("Report a new tag"))),
  );
}

// The walking graph of the mission open on screen, and the shortest-path tree from where the
// agent stands (recomputed when they move): every distance shown is along the streets.
let walking = { missionId: null, graph: null, tree: null, at: null };
function useMissionNetwork(mission) {
  if (walking.missionId !== mission.id) {
    walking = { missionId: mission.id, graph: mission.network && mission.network.edges.length ? buildGraph(mission.network) : null, tree: null, at: null };
  }
}
function walkFromHere(position) {
  const me = currentPosition();
  if (!me || !walking.graph) return null;
  if (walking.at !== me.lonlat) walking = { ...walking, tree: walkTree(walking.graph, me.lonlat), at: me.lonlat };
  return walkTo(walking.tree, position);
}

function distanceText(position) {
  const me = currentPosition();
  if (!me || !position) return t("Position unknown");
  const b = t(compass(bearingDeg(me.lonlat, position)));
  const walk = walkFromHere(position);
  if (walk) return t("%(d)s on foot, towards %(b)s", { d: formatDistance(walk.lengthM, LANG), b });
  return t("%(d)s away, towards %(b)s", { d: formatDistance(distanceM(me.lonlat, position), LANG), b });
}

function goThere(stop, missionId, withDistance = true) {
  const label = `${stop.sequence || ""} ${stop.category}`.trim();
  return h("div", { class: "go-there" },
    // In the app, offline: the walking route on the mission map.
    h("a", { href: `#/m/${missionId}/go/${stop.key}`, class: "button primary", "data-go": "app" }, t("Go there")),
    h("a", { href: geoUri(stop.position, label), class: "button", "data-go": "geo" }, t("Open in the maps app")),
    withDistance ? h("p", { class: "distance", "data-position": stop.position.join(",") }, distanceText(stop.position)) : "");
}

// The map's legend (agent/app.html renders it from core/palette.py, like every map's).
function mapLegend() {
  const template = document.getElementById("agent-map-legend");
  return template ? template.content.cloneNode(true) : "";
}

async function missionScreen(id, goKey = null) {
  const { data: mission, offline, notFound } = await fetchJson(`missions/${id}/`, `m${id}`);
  if (!mission) { render(t("Mission not found on this device."), h("p", {}, h("a", { href: "#/" }, t("Back to missions")))); return; }
  useMissionNetwork(mission);
  const target = goKey ? mission.stops.find((s) => s.key === goKey) : null;
  const works = await Promise.all(mission.stops.map((s) => loadWork(id, s)));
  const list = h("ol", { class: "stops", id: "stops" }, mission.stops.map((stop, i) => {
    const status = works[i].status || stop.status;
    return h("li", { class: `stop status-${status}`, "data-stop-key": stop.key, "data-status": status },
      h("div", { class: "stop-head" },
        h("span", { class: "seq", "aria-hidden": "true" }, String(stop.sequence || i + 1)),
        h("a", { href: `#/m/${id}/s/${stop.key}`, class: "block-link stop-open" }, `${stop.category}${stop.address ? ` — ${stop.address}` : ""}`),
        h("span", { class: `badge status-${status}` }, statusLabel(status))),
      stop.description ? h("p", {}, stop.description) : "",
      goThere(stop, id));
  }));
  const mapBox = h("div", { class: "map", id: "mission-map", role: "region", "aria-label": t("Map") });
  render(mission.name,
    h("p", {}, h("a", { href: "#/" }, t("Back to missions"))),
    mission.status === "cancelled" ? h("p", { class: "message error", role: "alert" }, t("Mission cancelled: work you record is kept and flagged to the dispatcher.")) : "",
    target ? h("p", { id: "walk-status", class: "notice", "aria-live": "polite" }) : "",
    target ? [mapBox, mapLegend()] : "",
    h("h2", {}, t("Stops")), list,
    target ? "" : [h("h2", {}, t("Map")), mapBox, mapLegend()],
    h("p", { id: "tile-status", class: "muted", "aria-live": "polite" }));
  const saved = await get("missions", `tiles:m${id}`);
  const handle = await showMissionMap(mapBox, mission, {
    t, styleUrl: CONFIG.tiles && CONFIG.tiles.style, workerUrl: CONFIG.maplibreWorker, offlineMaxZoom: saved ? saved.savedMaxZoom : null,
    onStop: (s) => { location.hash = `#/m/${id}/s/${s.key}`; },
  });
  const showWalk = () => {
    const status = document.getElementById("walk-status");
    if (!target || !status) return;
    const name = `${target.sequence || ""}. ${target.address || target.category}`;
    const me = currentPosition();
    const walk = me ? walkFromHere(target.position) : null;
    if (handle) handle.setWalk(walk ? walk.coords : me ? [me.lonlat, target.position] : null);
    status.dataset.state = walk ? "route" : me ? "straight" : "position";
    status.textContent = walk ? t("Walking route to %(stop)s: %(d)s.", { stop: name, d: formatDistance(walk.lengthM, LANG) })
      : me ? t("No walking route to %(stop)s on the saved streets: straight line shown.", { stop: name })
        : t("Position unknown");
  };
  const update = (p) => {
    if (handle) handle.setPosition(p.lonlat);
    document.querySelectorAll(".distance[data-position]").forEach((el) => { el.textContent = distanceText(el.dataset.position.split(",").map(Number)); });
    showWalk();
  };
  showWalk();
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

let stopPositionOff = null;
async function stopScreen(missionId, stopKey, fresh = false) {
  // Opened from the router: the server's latest (the device's copy offline); between steps
  // the copy already on the device.
  const saved = fresh ? null : await get("missions", `m${missionId}`);
  const mission = saved ? saved.data : (await fetchJson(`missions/${missionId}/`, `m${missionId}`)).data;
  const stop = mission && mission.stops.find((s) => s.key === stopKey);
  if (mission) useMissionNetwork(mission);
  if (!stop) { render(t("Stop not found in this mission."), h("p", {}, h("a", { href: `#/m/${missionId}` }, t("Back to the mission")))); return; }
  const work = await loadWork(missionId, stop);
  const back = h("p", {}, h("a", { href: `#/m/${missionId}` }, t("Back to the mission")));
  // The address names the place to go; the category says what is there.
  const title = `${stop.sequence || ""}. ${stop.address || stop.category}`;
  const where = h("p", { class: "stop-where" },
    stop.address ? h("span", { class: "stop-category" }, stop.category) : "",
    stop.address ? " · " : "",
    h("span", { class: "distance", id: "stop-distance", "data-position": stop.position.join(",") }, distanceText(stop.position)));
  // One position listener for the stop on screen (this function re-renders at every step).
  if (stopPositionOff) stopPositionOff();
  stopPositionOff = onPosition(() => { where.querySelector(".distance").textContent = distanceText(stop.position); });
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
    render(title, back, where, progress, stop.description ? h("p", {}, stop.description) : "", goThere(stop, missionId, false),
      h("button", { type: "button", id: "btn-start", class: "primary big", onclick: async () => {
        work.status = "in_progress"; work.step = "before";
        // Started once: a second tap (or a stop re-opened) keeps the first start time.
        await saveWork(work, mission, stop, { started_at: work.values.started_at || new Date().toISOString() });
        stopScreen(missionId, stopKey);
      } }, t("Start")), notDone);
  } else if (work.step === "before" || work.step === "after") {
    const kind = work.step;
    const finish = kind === "after";
    render(title, back, where, progress, h("h2", {}, kind === "before" ? t("Before photo") : t("After photo")),
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
    const v = { ...work.values, ...(work.draft || {}) };
    const val = (id) => document.getElementById(id).value;
    const typed = () => ({
      support: val("f-support"), method: val("f-method"), product: val("f-product"), notes: val("f-notes"),
      surface_m2: val("f-surface").trim().replace(",", ".") || null, offensive: document.getElementById("f-offensive").checked,
    });
    // What is typed is kept on the device as it is typed: a reload or a call keeps the draft.
    let draftTimer = null;
    const keepDraft = () => {
      clearTimeout(draftTimer);
      work.draft = typed(); // "Previous" saves it with the step
      draftTimer = setTimeout(() => put("work", work), 250);
    };
    const form = h("form", { class: "form", id: "work-form", oninput: keepDraft, onchange: keepDraft, onsubmit: async (e) => {
      e.preventDefault();
      clearTimeout(draftTimer);
      delete work.draft;
      await saveWork(work, mission, stop, typed());
      go("after");
    } },
      h("h2", {}, t("What was done")),
      ...select("f-support", t("Support"), CONFIG.choices.support, v.support),
      h("label", { for: "f-surface" }, t("Surface (m²)")),
      // Text, not type=number: the agent types "2,5" in French; sent with a dot.
      h("input", { id: "f-surface", "aria-describedby": "f-surface-hint", type: "text", inputmode: "decimal", autocomplete: "off", pattern: "\\s*[0-9]{1,6}([.,][0-9]{1,2})?\\s*", value: v.surface_m2 ? formatNumber(Number(v.surface_m2)).replace(/\s/g, "") : "", oninput: (e) => checkSurface(e.target) }),
      h("p", { id: "f-surface-hint", class: "hint" }, t("For example %(x)s", { x: formatNumber(2.5) })),
      ...select("f-method", t("Method"), CONFIG.choices.method, v.method),
      h("label", { for: "f-product" }, t("Product")), h("input", { id: "f-product", type: "text", maxlength: "120", value: v.product || "" }),
      h("div", { class: "check" }, h("input", { id: "f-offensive", type: "checkbox", checked: !!v.offensive }), h("label", { for: "f-offensive" }, t("Offensive content"))),
      h("label", { for: "f-notes" }, t("Notes")), h("textarea", { id: "f-notes", rows: "3" }, v.notes || ""),
      nav("before", null));
    render(title, back, where, progress, form);
    checkSurface(document.getElementById("f-surface")); // a draft kept from before
  } else {
    const v = work.values;
    const time = (iso) => (iso ? new Date(iso).toLocaleTimeString(LANG, { hour: "2-digit", minute: "2-digit" }) : "–");
    const line = (label, value) => (value ? h("div", {}, h("dt", {}, label), h("dd", {}, value)) : "");
    const reason = (CONFIG.choices.reason.find(([k]) => k === v.not_done_reason) || [])[1];
    // What was recorded, as it was recorded: nothing here is reset by re-opening the stop.
    const summary = h("dl", { class: "recorded", id: "recorded" },
      line(t("Started at"), v.started_at ? time(v.started_at) : ""),
      line(t("Ended at"), v.ended_at ? time(v.ended_at) : ""),
      line(t("Reason"), work.status === "not_done" ? reason : ""),
      line(t("Before photo"), work.photos.before ? tn("photos", work.photos.before) : ""),
      line(t("After photo"), work.photos.after ? tn("photos", work.photos.after) : ""),
      line(t("Notes"), v.notes || ""));
    const state = h("p", { class: "message", id: "work-state", "data-done": work.status, "data-key": work.uuid, role: "status" });
    await showWorkState(state);
    render(title, back, where, state,
      summary,
      h("p", {}, h("a", { href: `#/m/${missionId}`, class: "button primary", id: "btn-back-mission" }, t("Back to the mission"))));
  }
}

// The server's limits on the surface, checked as it is typed: the browser then keeps the form
// from being sent and says why, instead of the outbox holding a value the server refuses.
function checkSurface(input) {
  const typed = input.value.trim().replace(",", ".");
  const x = Number(typed);
  const { min, max } = CONFIG.surface;
  const outside = typed !== "" && Number.isFinite(x) && (x < min || x > max);
  input.setCustomValidity(outside ? t("Between %(min)s and %(max)s m².", { min: formatNumber(min), max: formatNumber(max) }) : "");
}

// A finished stop says whether its work has left the device, and follows the syncs while it
// is on screen (outbox.onChange): "will be sent" must not stay once it has been.
const WORK_STATE = {
  waiting: "Intervention saved; it will be sent with the next sync.",
  sent: "Intervention sent.",
  error: "Intervention not sent: the server refused part of it.",
};
async function showWorkState(el) {
  const state = await outbox.workState(el.dataset.key);
  if (el.dataset.state === state) return;
  el.dataset.state = state;
  el.replaceChildren(`${statusLabel(el.dataset.done)} — ${t(WORK_STATE[state])}`,
    ...(state === "error" ? [" ", h("a", { href: "#/outbox", id: "work-state-why" }, t("See why"))] : []));
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

// The details screen: what waits and what went, kept current while it is open (a sync
// moves items from one list to the other) without moving the focus.
async function fillOutboxLists() {
  const waitingBox = document.getElementById("outbox-waiting");
  const sentBox = document.getElementById("sent-list");
  if (!waitingBox || !sentBox) return;
  const [waiting, sent] = await Promise.all([outbox.pending(), outbox.recentlySent()]);
  const label = { intervention: t("Intervention"), photo: t("Photo"), report: t("Report") };
  const when = (ms) => new Date(ms).toLocaleString(LANG, { dateStyle: "short", timeStyle: "short" });
  const row = (i, at) => h("li", { "data-type": i.type }, `${label[i.type]} · ${when(at)}`, i.error ? h("span", { class: "error" }, typo(` — ${t("Error")}: ${i.error}`)) : "");
  waitingBox.replaceChildren(waiting.length ? h("ul", { id: "outbox-list" }, waiting.map((i) => row(i, i.created))) : h("p", { id: "outbox-empty" }, t("Nothing waiting")));
  sentBox.replaceChildren(...sent.sort((a, b) => b.sentAt - a.sentAt).slice(0, 200).map((i) => row(i, i.sentAt)));
  sentBox.dataset.count = String(sent.length);
}

async function outboxScreen() {
  render(t("Waiting to be sent"),
    h("p", {}, h("a", { href: "#/" }, t("Back to missions"))),
    h("div", { id: "outbox-waiting" }),
    h("h2", {}, t("Sent in the last two days")),
    h("ul", { id: "sent-list" }),
    h("p", {}, t("Resending is safe: the server ignores what it already has.")),
    h("button", { type: "button", id: "btn-resend", onclick: async () => { await outbox.requeue(); await fillOutboxLists(); await syncNow(); } }, t("Send again")));
  await fillOutboxLists();
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
  if (stopPositionOff) { stopPositionOff(); stopPositionOff = null; }
  if (parts[0] === "m" && parts[2] === "s") await stopScreen(Number(parts[1]), parts[3], true);
  else if (parts[0] === "m" && parts[2] === "go") await missionScreen(Number(parts[1]), parts[3]);
  else if (parts[0] === "m") await missionScreen(Number(parts[1]));
  else if (parts[0] === "report") await reportScreen();
  else if (parts[0] === "outbox") await outboxScreen();
  else await missionsScreen();
}

// The server's refusals name the fields as the forms do (the outbox details screen).
outbox.configure({ api: CONFIG.api, labels: {
  surface_m2: t("Surface (m²)"), support: t("Support"), method: t("Method"), product: t("Product"), notes: t("Notes"),
  not_done_reason: t("Reason"), offensive: t("Offensive content"), started_at: t("Started at"), ended_at: t("Ended at"),
  category_id: t("Category"), description: t("Description"), file: t("Photo"), intervention: t("Intervention"),
  intervention_id: t("Intervention"), report: t("Report"),
} });
outbox.onChange((c) => {
  showCounts(c);
  fillOutboxLists();
  const state = document.getElementById("work-state");
  if (state) showWorkState(state);
});
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
