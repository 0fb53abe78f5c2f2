// The dispatcher's map: jobs on the map and in a list kept in sync, a mission zone drawn on
// the map (or chosen from the panel), the round created, optimised, dispatched and followed.
// State for people and tests lives in data-* attributes: #dispatch-map[data-state],
// #mission-panel[data-mission][data-status], #stop-list li[data-sequence].

import { api, ApiError } from "./api.js";
import { ZoneDraw } from "./draw.js";
import { bindEstimate, scheduleEstimate } from "./estimate.js";
import { startMap } from "../js/map_start.js";
import { followPlaces } from "../geo/address_search.js";
import { colour, markElement, marks, stopMark } from "../js/marks.js";

const el = document.getElementById("dispatch-map");
const T = JSON.parse(document.getElementById("dispatch-strings").textContent);
const URLS = JSON.parse(document.getElementById("dispatch-urls").textContent);
const $ = (id) => document.getElementById(id);
const POLL_MS = 10_000;
const OPTIMISE_POLL_MS = 700;
const LIST_MAX = 300;

const state = {
  map: null,
  maplibregl: null,
  draw: null,
  board: null, // last /board/ answer
  zone: null, // GeoJSON Polygon (EPSG:4326) of the zone being planned
  preview: null, // {reports: [], interventions: [], booked}
  excluded: new Set(), // "r12" / "i5" unchecked in the preview
  mission: null, // the selected mission (Feature with stops)
  markers: [],
  pollTimer: null,
  optimiseTimer: null,
  drawButton: null, // the button that started the drawing ("draw-rectangle" / "draw-polygon")
};

function say(id, text) {
  const node = $(id);
  if (node && node.textContent !== text) node.textContent = text; // a live region: only changes are announced
}

// After an action that hides or disables the control pressed, the focus would fall back to
// <body> (and a screen reader to the top of the page): put it where the work continues.
// Focusing scrolls the panel only as far as needed to show the target.
function keepFocus(target, { always = false } = {}) {
  const active = document.activeElement;
  const lost = !active || active === document.body || active.disabled || active.closest("[hidden]");
  if ((always || lost) && target) target.focus();
}

function fmt(template, values) {
  return template.replace(/%\((\w+)\)s/g, (_, k) => String(values[k] ?? ""));
}

// "1,25 km" in French, "1.25 km" in English: the page's language decides the decimal mark.
const KM = new Intl.NumberFormat(document.documentElement.lang || "fr", { minimumFractionDigits: 2, maximumFractionDigits: 2 });

function km(m) {
  return m >= 1000 ? `${KM.format(m / 1000)} km` : `${Math.round(m)} m`;
}

function minutes(s) {
  const h = Math.floor(s / 3600);
  const m = Math.round((s % 3600) / 60);
  return h ? `${h} h ${String(m).padStart(2, "0")}` : `${m} min`;
}

// ---------- jobs: filters, list, map ----------

function allJobs() {
  if (!state.board) return [];
  return [...state.board.reports.features, ...state.board.interventions.features];
}

function jobKey(f) {
  return f.id; // "r<pk>" or "i<pk>"
}

function filters() {
  return {
    category: $("filter-category").value,
    status: $("filter-status").value,
    age: Number($("filter-age").value || 0),
    priority: $("filter-priority").value,
  };
}

function matches(f, flt) {
  const p = f.properties;
  if (flt.category && p.category !== flt.category) return false;
  if (flt.status) {
    const status = p.kind === "report" ? "report" : p.status;
    if (status !== flt.status) return false;
  }
  if (flt.age && p.age_days < flt.age) return false;
  if (flt.priority && String(p.priority) !== flt.priority) return false;
  return true;
}

function jobLabel(f) {
  const p = f.properties;
  const kind = p.kind === "report" ? T.report : T.intervention;
  const where = p.address ? ` — ${p.address}` : "";
  return `${kind} ${p.pk} · ${p.category_name}${where}`;
}

function jobDetail(f) {
  const p = f.properties;
  const status = p.kind === "report" ? T.statuses.report : T.statuses[p.status] || p.status;
  const bits = [status, fmt(T.priority_n, { n: p.priority }), fmt(T.age_n, { n: p.age_days })];
  if (p.team) bits.push(p.team);
  return bits.join(" · ");
}

function renderJobs() {
  const flt = filters();
  const shown = allJobs().filter((f) => matches(f, flt));
  const map = state.map;
  const reports = shown.filter((f) => f.properties.kind === "report");
  const interventions = shown.filter((f) => f.properties.kind === "intervention");
  map.getSource("jobs-reports").setData({ type: "FeatureCollection", features: reports });
  map.getSource("jobs-interventions").setData({ type: "FeatureCollection", features: interventions });
  const list = $("job-list");
  list.replaceChildren();
  for (const f of shown.slice(0, LIST_MAX)) list.append(jobItem(f));
  say("jobs-count", fmt(shown.length > LIST_MAX ? T.jobs_capped : T.jobs_count, { n: shown.length, max: LIST_MAX }));
  updateBulk();
}

function jobItem(f) {
  const p = f.properties;
  const li = document.createElement("li");
  li.className = "job";
  li.dataset.key = jobKey(f);
  li.dataset.kind = p.kind;
  li.dataset.pk = p.pk;
  const id = `job-${jobKey(f)}`;
  const box = document.createElement("input");
  box.type = "checkbox";
  box.id = id;
  box.className = "job-check";
  box.addEventListener("change", updateBulk);
  const label = document.createElement("label");
  label.htmlFor = id;
  label.textContent = jobLabel(f);
  const detail = document.createElement("span");
  detail.className = "job-detail";
  detail.textContent = jobDetail(f);
  const show = document.createElement("button");
  show.type = "button";
  show.className = "link-button";
  show.textContent = T.show_on_map;
  show.setAttribute("aria-label", `${T.show_on_map}: ${jobLabel(f)}`);
  show.addEventListener("click", () => focusOnMap(f));
  const add = document.createElement("button");
  add.type = "button";
  add.className = "link-button job-add";
  add.textContent = T.add_to_mission;
  add.setAttribute("aria-label", `${T.add_to_mission}: ${jobLabel(f)}`);
  add.hidden = !(state.mission && state.mission.properties.status === "draft");
  add.addEventListener("click", () => addToMission(f));
  li.append(box, label, detail, show, add);
  return li;
}

function focusOnMap(f) {
  state.map.easeTo({ center: f.geometry.coordinates, zoom: Math.max(state.map.getZoom(), 17) });
  state.map.getSource("highlight").setData({ type: "FeatureCollection", features: [f] });
}

function checkedJobs() {
  return [...document.querySelectorAll("#job-list .job-check:checked")].map((b) => b.closest("li"));
}

function updateBulk() {
  const checked = checkedJobs();
  const interventions = checked.filter((li) => li.dataset.kind === "intervention");
  say("bulk-count", fmt(T.bulk_count, { n: interventions.length }));
  $("bulk-apply").disabled = interventions.length === 0;
  $("zone-from-selection").disabled = checked.length === 0;
}

// ---------- missions of the day ----------

function renderMissions() {
  const list = $("mission-list");
  list.replaceChildren();
  const features = state.board.missions.features;
  state.map.getSource("missions").setData(state.board.missions);
  const routes = features.filter((m) => m.properties.route).map((m) => ({ type: "Feature", id: m.id, properties: { status: m.properties.status }, geometry: m.properties.route }));
  state.map.getSource("routes").setData({ type: "FeatureCollection", features: routes });
  if (!features.length) {
    const li = document.createElement("li");
    li.textContent = T.no_missions;
    list.append(li);
  }
  for (const m of features) {
    const li = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "link-button";
    button.dataset.mission = m.id;
    const p = m.properties;
    button.textContent = `${p.name || p.team_name} — ${T.mission_statuses[p.status] || p.status} (${fmt(T.stops_n, { n: p.stop_count })})`;
    button.addEventListener("click", () => selectMission(m.id));
    li.append(button);
    list.append(li);
  }
}

async function loadBoard() {
  el.dataset.state = "loading";
  const date = $("board-date").value;
  state.board = await api(`${URLS.board}?date=${encodeURIComponent(date)}`);
  renderJobs();
  renderMissions();
}

// ---------- the zone and its preview ----------

async function setZone(polygon, { fromMap = true } = {}) {
  state.zone = polygon;
  state.excluded.clear();
  if (!fromMap) state.draw.setPolygon(polygon);
  if (!polygon) {
    state.preview = null;
    renderPreview();
    scheduleEstimate();
    say("zone-status", T.zone_none);
    return;
  }
  await preview({ zone: polygon });
}

async function preview(body) {
  say("zone-status", T.zone_loading);
  try {
    const team = Number($("plan-team").value) || null;
    const answer = await api(URLS.preview, { method: "POST", body: { ...body, date: $("plan-date").value, team } });
    state.preview = answer;
    if (body.zone_id) {
      state.zone = answer.zone;
      state.draw.setPolygon(answer.zone);
      fitTo(answer.zone.coordinates[0]);
    }
    say("zone-status", fmt(T.zone_summary, { r: answer.reports.length, i: answer.interventions.length }));
  } catch (error) {
    state.preview = null;
    say("zone-status", String(error.message));
  }
  renderPreview();
  scheduleEstimate();
}

function jobByKey(key) {
  return allJobs().find((f) => jobKey(f) === key);
}

function renderPreview() {
  const list = $("preview-list");
  list.replaceChildren();
  const warnings = $("preview-warnings");
  warnings.replaceChildren();
  $("plan-create").disabled = !state.preview;
  $("template-create").disabled = !state.zone;
  if (!state.preview) return;
  const booked = new Map();
  // A job another active mission plans stays there: shown, not selectable, with where it is.
  for (const b of state.preview.booked.reports) booked.set(`r${b.id}`, b);
  for (const b of state.preview.booked.interventions) booked.set(`i${b.id}`, b);
  const keys = [...state.preview.interventions.map((pk) => `i${pk}`), ...state.preview.reports.map((pk) => `r${pk}`)];
  for (const key of keys) {
    const f = jobByKey(key);
    const li = document.createElement("li");
    li.dataset.key = key;
    li.dataset.kind = key[0] === "r" ? "report" : "intervention";
    li.dataset.pk = key.slice(1);
    const box = document.createElement("input");
    box.type = "checkbox";
    box.id = `preview-${key}`;
    box.checked = !state.excluded.has(key) && !booked.has(key);
    box.disabled = booked.has(key);
    box.addEventListener("change", () => {
      if (box.checked) state.excluded.delete(key);
      else state.excluded.add(key);
      updatePreviewCount();
      scheduleEstimate();
    });
    const label = document.createElement("label");
    label.htmlFor = box.id;
    label.textContent = f ? jobLabel(f) : `${key[0] === "r" ? T.report : T.intervention} ${key.slice(1)}`;
    li.append(box, label);
    if (booked.has(key)) {
      const warn = document.createElement("span");
      warn.className = "warning already-planned";
      warn.dataset.mission = booked.get(key).mission;
      warn.textContent = booked.get(key).detail;
      box.setAttribute("aria-describedby", (warn.id = `booked-${key}`));
      li.append(warn);
    }
    list.append(li);
  }
  // Conflicts known before the mission exists: the team already has a round that day.
  for (const mission of state.preview.team_missions || []) {
    const li = document.createElement("li");
    li.dataset.kind = "team_booked";
    li.textContent = fmt(T.conflicts.team_booked, { mission });
    warnings.append(li);
  }
  if (state.preview.outside_territory) {
    const li = document.createElement("li");
    li.textContent = T.zone_outside;
    warnings.append(li);
  }
  updatePreviewCount();
}

function updatePreviewCount() {
  if (!state.preview) return;
  const total = state.preview.reports.length + state.preview.interventions.length;
  const booked = state.preview.booked.reports.length + state.preview.booked.interventions.length;
  const excluded = [...state.excluded].filter((k) => !state.preview.booked[k[0] === "r" ? "reports" : "interventions"].some((b) => `${k[0]}${b.id}` === k)).length;
  say("preview-count", fmt(T.preview_count, { n: total - excluded - booked, total }) + (booked ? ` ${fmt(T.preview_booked, { n: booked })}` : ""));
}

function rectangleAround(coords, marginDeg = 0.0004) {
  const xs = coords.map((c) => c[0]);
  const ys = coords.map((c) => c[1]);
  const [w, s, e, n] = [Math.min(...xs) - marginDeg, Math.min(...ys) - marginDeg, Math.max(...xs) + marginDeg, Math.max(...ys) + marginDeg];
  return { type: "Polygon", coordinates: [[[w, s], [e, s], [e, n], [w, n], [w, s]]] };
}

function fitTo(coords) {
  const xs = coords.map((c) => c[0]);
  const ys = coords.map((c) => c[1]);
  state.map.fitBounds([[Math.min(...xs), Math.min(...ys)], [Math.max(...xs), Math.max(...ys)]], { padding: { top: 60, right: 70, bottom: 90, left: 90 }, maxZoom: 18, duration: 0 });
}

// ---------- creating, editing, optimising, dispatching ----------

async function createMission(event) {
  event.preventDefault();
  if (!state.zone) return;
  const body = {
    zone: state.zone,
    date: $("plan-date").value,
    team: Number($("plan-team").value),
    name: $("plan-name").value,
    profile: $("plan-profile").value,
    open_round: $("plan-open").checked,
    shift_start: $("plan-shift-start").value,
    shift_end: $("plan-shift-end").value,
    agents: Number($("plan-agents").value) || 1,
  };
  say("plan-status", T.working);
  clearFieldErrors();
  try {
    let mission = await api(URLS.missions, { method: "POST", body });
    const remove = mission.properties.stops
      .filter((s) => state.excluded.has(s.intervention ? `i${s.intervention}` : `r${s.report}`))
      .map((s) => s.id);
    if (remove.length) mission = await api(`${URLS.missions}${mission.id}/stops/`, { method: "POST", body: { remove } });
    say("plan-status", fmt(T.created, { id: mission.id }));
    state.draw.clear();
    await loadBoard();
    showMission(mission);
    // The work goes on in the mission panel (optimise, dispatch): focus its heading.
    $("mission-heading").focus();
  } catch (error) {
    say("plan-status", String(error.message));
    markFieldErrors(error.body);
  }
}

// The plan form's fields, by the API field they send.
const PLAN_FIELDS = {
  team: "plan-team", date: "plan-date", name: "plan-name", profile: "plan-profile",
  shift_start: "plan-shift-start", shift_end: "plan-shift-end", agents: "plan-agents", open_round: "plan-open",
  zone: "draw-rectangle",
};

function clearFieldErrors() {
  for (const id of Object.values(PLAN_FIELDS)) {
    $(id).removeAttribute("aria-invalid");
    if ($(id).getAttribute("aria-describedby") === "plan-status") $(id).removeAttribute("aria-describedby");
  }
}

// A refused mission: each field the server names is marked invalid and described by the
// message; the focus goes to the first of them in the form's order, not to the page.
function markFieldErrors(body) {
  const named = body && typeof body === "object" ? Object.keys(body) : [];
  const ids = Object.entries(PLAN_FIELDS).filter(([field]) => named.includes(field)).map(([, id]) => id);
  for (const id of ids) {
    if (id === "draw-rectangle") continue; // a button: the zone is drawn again, not typed
    $(id).setAttribute("aria-invalid", "true");
    $(id).setAttribute("aria-describedby", "plan-status");
  }
  const order = [...document.querySelectorAll("#plan-form [id], #draw-rectangle")].map((node) => node.id);
  ids.sort((a, b) => order.indexOf(a) - order.indexOf(b));
  keepFocus($(ids[0] || "plan-create"), { always: true });
}

async function selectMission(id) {
  const mission = await api(`${URLS.missions}${id}/`);
  showMission(mission);
  const coords = mission.geometry.coordinates[0];
  fitTo(coords);
  await resumeOptimisation(id);
}

function stopLabel(s) {
  const kind = s.intervention ? T.intervention : T.report;
  const where = s.address ? ` — ${s.address}` : "";
  return `${kind} ${s.intervention || s.report} · ${s.category_name}${where}`;
}

function missionButtons(p) {
  $("mission-optimize").disabled = !["draft", "dispatched"].includes(p.status) || !p.stops.length;
  $("mission-dispatch").disabled = p.status !== "draft" || !p.optimized_at;
}

function showMission(mission) {
  state.mission = mission;
  const p = mission.properties;
  const panel = $("mission-panel");
  panel.hidden = false;
  panel.dataset.mission = mission.id;
  panel.dataset.status = p.status;
  say("mission-heading", `${p.name || T.mission} ${mission.id} — ${p.team_name}, ${p.date}`);
  say("mission-status", T.mission_statuses[p.status] || p.status);
  const conflicts = $("mission-conflicts");
  conflicts.replaceChildren();
  for (const c of mission.conflicts || []) {
    const li = document.createElement("li");
    li.dataset.kind = c.kind;
    li.textContent = T.conflicts[c.kind] ? fmt(T.conflicts[c.kind], c) : c.detail;
    conflicts.append(li);
  }
  const draft = p.status === "draft";
  if (String(mission.id) !== $("optimise-progress").dataset.mission) {
    $("optimise-progress").hidden = true; // another mission's optimisation is not this one's
    delete panel.dataset.optimising;
  }
  missionButtons(p);
  $("mission-cancel").disabled = !["draft", "dispatched", "in_progress"].includes(p.status);
  $("sheet-link").href = URLS.sheet.replace("/0/", `/${mission.id}/`);
  $("sheet-pdf-link").href = URLS.sheet_pdf.replace("/0/", `/${mission.id}/`);
  renderStops(mission);
  renderSummary(mission);
  for (const b of document.querySelectorAll(".job-add")) b.hidden = !draft;
  drawRound(mission);
  startPolling();
}

function renderStops(mission, progress) {
  const p = mission.properties;
  const states = new Map((progress ? progress.stops : []).map((s) => [s.id, s.state]));
  const records = new Map((progress ? progress.stops : []).map((s) => [s.id, s]));
  const list = $("stop-list");
  list.replaceChildren();
  const ordered = [...p.stops].sort((a, b) => (a.sequence === null) - (b.sequence === null) || a.round - b.round || (a.sequence || 0) - (b.sequence || 0));
  for (const s of ordered) {
    const li = document.createElement("li");
    li.dataset.stop = s.id;
    li.dataset.sequence = s.sequence ?? "";
    const st = states.get(s.id) || s.status;
    li.dataset.state = st;
    const number = markElement(stopMark(st), s.sequence ?? "–", "span"); // as on the map
    number.classList.add("stop-number");
    const text = document.createElement("span");
    text.textContent = stopLabel(s);
    const detail = document.createElement("span");
    detail.className = "job-detail";
    const bits = [T.stop_states[st] || st];
    if (s.planned_arrival) bits.push(s.planned_arrival.slice(11, 16));
    if (s.leg_distance_m !== null) bits.push(`${km(s.leg_distance_m)}, ${minutes(s.leg_duration_s || 0)}`);
    if (s.reason) bits.push(s.reason);
    if (st === "unassigned") bits.push(T.pool);
    // What the agent recorded: the reason it was not done, start and end times, notes.
    const rec = records.get(s.id);
    if (rec && rec.not_done_reason) bits.push(rec.not_done_reason);
    if (rec && rec.started_at) bits.push(rec.ended_at ? `${rec.started_at}–${rec.ended_at}` : rec.started_at);
    if (rec && rec.notes) bits.push(rec.notes);
    detail.textContent = bits.join(" · ");
    li.append(number, text, detail);
    if (rec && rec.photos.length) {
      const photos = document.createElement("span");
      photos.className = "stop-photos";
      for (const [i, ph] of rec.photos.entries()) {
        const a = document.createElement("a");
        a.href = ph.full;
        a.target = "_blank";
        const img = document.createElement("img");
        img.src = ph.thumb;
        img.alt = fmt(T.photo_n, { n: i + 1, kind: ph.kind });
        img.loading = "lazy";
        a.append(img);
        photos.append(a);
      }
      li.append(photos);
    }
    if (p.status === "draft") {
      const remove = document.createElement("button");
      remove.type = "button";
      remove.className = "link-button";
      remove.textContent = T.remove;
      remove.setAttribute("aria-label", `${T.remove}: ${stopLabel(s)}`);
      remove.addEventListener("click", () => editStops({ remove: [s.id] }));
      li.append(remove);
    }
    list.append(li);
  }
}

function renderSummary(mission) {
  const p = mission.properties;
  const summary = $("plan-summary");
  if (p.distance_m === null || p.distance_m === undefined) {
    summary.textContent = p.stops.length ? T.not_optimised : T.no_stops;
    delete summary.dataset.distance;
    $("plan-fit").hidden = true;
    return;
  }
  summary.dataset.distance = p.distance_m;
  summary.dataset.duration = p.duration_s;
  const unassigned = p.stops.filter((s) => s.status === "unassigned").length;
  summary.textContent = fmt(T.summary, { d: km(p.distance_m), t: minutes(p.duration_s), n: p.stops.length - unassigned, u: unassigned });
  // Before dispatching: how many jobs fit, and the ways out for the others.
  const fit = $("plan-fit");
  fit.hidden = !unassigned || !["draft", "dispatched"].includes(p.status);
  fit.dataset.unassigned = unassigned;
  $("fit-leave").hidden = p.status !== "draft";
  say("plan-fit-text", fmt(T.fit, { n: p.stops.length - unassigned, total: p.stops.length, u: unassigned, start: p.shift_start.slice(0, 5), end: p.shift_end.slice(0, 5), agents: p.agents }));
}

function laterBy(time, hours) {
  const [h, m] = time.split(":").map(Number);
  return `${String(Math.min(h + hours, 23)).padStart(2, "0")}:${String(m).padStart(2, "0")}`;
}

function drawRound(mission, progress) {
  const p = mission.properties;
  const map = state.map;
  map.getSource("round").setData(p.route ? { type: "Feature", properties: {}, geometry: p.route } : { type: "FeatureCollection", features: [] });
  el.dataset.routeLines = p.route ? String(p.route.coordinates.length) : "0";
  for (const m of state.markers) m.remove();
  state.markers = [];
  const states = new Map((progress ? progress.stops : []).map((s) => [s.id, s.state]));
  // Dropped stops first, and below: a numbered stop metres away stays visible on top.
  const dropped = (s) => (states.get(s.id) || s.status) === "unassigned";
  for (const s of [...p.stops].sort((a, b) => dropped(b) - dropped(a))) {
    const st = states.get(s.id) || s.status;
    const div = markElement(stopMark(st), s.sequence ?? "–");
    div.classList.add("stop-marker", `stop-${st}`);
    div.setAttribute("aria-hidden", "true"); // the stop list is the accessible version
    const marker = new state.maplibregl.Marker({ element: div }).setLngLat(s.geometry.coordinates).addTo(map);
    marker.getElement().style.zIndex = st === "unassigned" ? "1" : "2";
    state.markers.push(marker);
  }
}

async function editStops(body) {
  try {
    const mission = await api(`${URLS.missions}${state.mission.id}/stops/`, { method: "POST", body });
    showMission(mission);
    say("plan-status", T.stops_changed);
  } catch (error) {
    say("plan-status", String(error.message));
  }
}

function addToMission(f) {
  const key = f.properties.kind === "report" ? "add_reports" : "add_interventions";
  return editStops({ [key]: [f.properties.pk] });
}

// Optimising runs on the server's background worker: the request answers 202 at once and
// the panel polls the optimisation (stage, progress) until the round is there.
async function optimise(body = {}) {
  say("plan-status", T.optimising);
  const missionId = state.mission.id;
  // The button pressed is disabled at once: the focus moves to the progress, which is shown
  // from the press on (the server answers once the job is queued).
  const box = $("optimise-progress");
  box.hidden = false;
  box.dataset.mission = missionId;
  $("optimise-bar").value = 0;
  say("optimise-stage", T.optimising);
  setOptimising(true);
  keepFocus($("optimise-stage"), { always: true });
  try {
    const answer = await api(`${URLS.missions}${missionId}/optimize/`, { method: "POST", body });
    if (answer && answer.type === "Feature") return await optimised(answer); // a synchronous server
    await followOptimisation(missionId, answer);
  } catch (error) {
    if (error.status === 409 && error.body && error.body.optimization) {
      say("plan-status", T.optimise_running);
      await followOptimisation(missionId, error.body.optimization);
      return;
    }
    say("plan-status", String(error.message));
    $("optimise-progress").hidden = true;
    setOptimising(false);
    keepFocus($("mission-optimize"));
  }
}

// While the round is being optimised, nothing that changes it may be pressed.
function setOptimising(busy) {
  for (const id of ["fit-agent", "fit-longer", "fit-leave"]) $(id).disabled = busy;
  if (busy) {
    $("mission-optimize").disabled = $("mission-dispatch").disabled = true;
  } else {
    delete $("mission-panel").dataset.optimising;
    missionButtons(state.mission.properties);
  }
}

function percent(value) {
  return new Intl.NumberFormat(document.documentElement.lang || "fr", { style: "percent" }).format(value / 100);
}

function showOptimisation(job) {
  const box = $("optimise-progress");
  box.hidden = false;
  box.dataset.mission = job.mission;
  box.dataset.stage = job.stage;
  box.dataset.progress = job.progress;
  $("mission-panel").dataset.optimising = job.status;
  $("optimise-bar").value = job.progress;
  $("optimise-bar").textContent = percent(job.progress);
  // A polite live region: the stage is read out when it changes, not at every poll.
  say("optimise-stage", `${job.stage_label}… ${percent(job.progress)}`);
  $("optimise-stalled").hidden = !job.stalled;
}

async function followOptimisation(missionId, job) {
  clearTimeout(state.optimiseTimer);
  while (state.mission && state.mission.id === missionId) {
    showOptimisation(job);
    if (job.status === "done") {
      const mission = await api(`${URLS.missions}${missionId}/`);
      mission.plan = job.plan;
      $("optimise-progress").hidden = true;
      await optimised(mission);
      return;
    }
    if (job.status === "failed") {
      $("optimise-progress").hidden = true;
      say("plan-status", ApiError.describe(job.errors));
      setOptimising(false);
      keepFocus($("mission-optimize"));
      return;
    }
    say("plan-status", job.status === "queued" ? T.optimise_queued : T.optimising);
    await new Promise((resolve) => { state.optimiseTimer = setTimeout(resolve, OPTIMISE_POLL_MS); });
    if (!state.mission || state.mission.id !== missionId) return; // another mission was opened
    job = await api(job.status_url);
  }
}

async function optimised(mission) {
  $("optimise-progress").hidden = true;
  showMission(mission);
  setOptimising(false);
  // The result itself is announced (a polite live region), not only that it is done.
  const stops = mission.properties.stops;
  const left = stops.filter((s) => s.status === "unassigned").length;
  say("plan-status", fmt(T.optimised_result, { n: stops.length - left, u: left }));
  // The button pressed may be disabled and the progress (focused while it ran) is hidden:
  // keep the focus on the result (how many jobs fit), not at the top of the page.
  keepFocus($("plan-summary"));
  await loadBoard();
}

// Opening a mission that is being optimised (another tab, a reload): follow it.
async function resumeOptimisation(missionId) {
  try {
    const job = await api(URLS.optimization.replace("/0/", `/${missionId}/`));
    if (["queued", "running"].includes(job.status)) {
      setOptimising(true);
      await followOptimisation(missionId, job);
    }
  } catch (error) {
    if (error.status !== 404) say("plan-status", String(error.message)); // 404: never optimised here
  }
}

async function setStatus(status) {
  try {
    const mission = await api(`${URLS.missions}${state.mission.id}/`, { method: "PATCH", body: { status } });
    showMission(mission);
    say("plan-status", T.mission_statuses[status]);
    // "Dispatch" and "Cancel" are disabled once pressed: the mission's heading, just above
    // its new status, is where the work goes on.
    keepFocus($("mission-heading"));
    await loadBoard();
  } catch (error) {
    say("plan-status", String(error.message));
  }
}

// ---------- live progress ----------

function startPolling() {
  clearInterval(state.pollTimer);
  const live = ["dispatched", "in_progress"].includes(state.mission.properties.status);
  if (!live) {
    // A finished round does not change any more: read what the agents recorded once.
    if (["completed", "cancelled"].includes(state.mission.properties.status)) poll();
    return;
  }
  state.pollTimer = setInterval(poll, POLL_MS);
  poll();
}

async function poll() {
  if (!state.mission) return;
  try {
    const progress = await api(URLS.progress.replace("/0/", `/${state.mission.id}/`));
    const c = progress.counts;
    say("mission-progress", fmt(T.progress, { done: c.done, not_done: c.not_done, in_progress: c.in_progress, planned: c.planned }));
    $("mission-progress").dataset.done = c.done;
    renderStops(state.mission, progress);
    drawRound(state.mission, progress);
    if (progress.status !== state.mission.properties.status) {
      state.mission.properties.status = progress.status;
      $("mission-panel").dataset.status = progress.status;
      say("mission-status", T.mission_statuses[progress.status] || progress.status);
    }
  } catch (error) {
    say("mission-progress", String(error.message));
  }
}

// ---------- bulk actions and recurring missions ----------

async function applyBulk(event) {
  event.preventDefault();
  const ids = checkedJobs().filter((li) => li.dataset.kind === "intervention").map((li) => Number(li.dataset.pk));
  const action = $("bulk-action").value;
  const body = { ids, action };
  if (action === "reassign") {
    body.team = Number($("bulk-team").value);
    if ($("bulk-date").value) body.date = $("bulk-date").value;
  }
  if (action === "close") {
    body.outcome = $("bulk-outcome").value;
    if (body.outcome === "not_done") body.reason = $("bulk-reason").value;
  }
  try {
    const result = await api(URLS.bulk, { method: "POST", body });
    say("bulk-status", fmt(T.bulk_done, { n: result.updated.length, s: result.skipped.length }));
    await loadBoard();
  } catch (error) {
    say("bulk-status", String(error.message));
  }
}

function syncBulkFields() {
  const action = $("bulk-action").value;
  $("bulk-reassign-fields").hidden = action !== "reassign";
  $("bulk-close-fields").hidden = action !== "close";
}

// The recurring-mission page (server form) receives the drawn zone and the plan's choices.
function fillTemplateForm() {
  $("template-zone").value = state.zone ? JSON.stringify(state.zone) : "";
  $("template-team").value = $("plan-team").value;
  $("template-name").value = $("plan-name").value;
  $("template-profile").value = $("plan-profile").value;
}

// ---------- map ----------

function addLayers(map) {
  const empty = { type: "FeatureCollection", features: [] };
  for (const id of ["jobs-reports", "jobs-interventions", "missions", "routes", "round", "highlight"]) map.addSource(id, { type: "geojson", data: empty });
  // Colours and shapes from the one palette (core/palette.py); icons from static/js/marks.js.
  const line = (kind) => ({ "line-color": colour(kind), "line-width": kind === "round" ? 4 : 2 });
  map.addLayer({ id: "missions-fill", type: "fill", source: "missions", paint: { "fill-color": colour("mission_zone"), "fill-opacity": 0.08 } });
  map.addLayer({ id: "missions-outline", type: "line", source: "missions", paint: { ...line("mission_zone"), "line-dasharray": [2, 1] }, metadata: { "ronde:mark": "mission_zone" } });
  map.addLayer({ id: "routes-line", type: "line", source: "routes", paint: { ...line("other_rounds"), "line-dasharray": [1, 1.5] }, metadata: { "ronde:mark": "other_rounds" } });
  map.addLayer({ id: "round-casing", type: "line", source: "round", layout: { "line-join": "round", "line-cap": "round" }, paint: { "line-color": "#ffffff", "line-width": 7 } });
  map.addLayer({ id: "round-line", type: "line", source: "round", layout: { "line-join": "round", "line-cap": "round" }, paint: line("round"), metadata: { "ronde:mark": "round" } });
  const statusImage = ["match", ["get", "status"], ...Object.entries(marks().status).flatMap(([status, kind]) => [status, `mark-${kind}`]), "mark-todo"];
  const icons = (image) => ({ "icon-image": image, "icon-size": 0.8, "icon-allow-overlap": true, "icon-ignore-placement": true });
  map.addLayer({ id: "jobs-interventions", type: "symbol", source: "jobs-interventions", layout: icons(statusImage) });
  map.addLayer({ id: "jobs-reports", type: "symbol", source: "jobs-reports", layout: icons("mark-report") });
  // "Show on the map": a two-tone ring (ink on a white halo), seen on any base colour.
  map.addLayer({ id: "highlight-halo", type: "circle", source: "highlight", paint: { "circle-opacity": 0, "circle-radius": 14, "circle-stroke-color": "#ffffff", "circle-stroke-width": 7 } });
  map.addLayer({ id: "highlight", type: "circle", source: "highlight", paint: { "circle-opacity": 0, "circle-radius": 14, "circle-stroke-color": colour("highlight"), "circle-stroke-width": 3.5 }, metadata: { "ronde:mark": "highlight" } });
  for (const layer of ["jobs-reports", "jobs-interventions"]) {
    map.on("click", layer, (e) => {
      if (state.draw.mode !== "idle") return;
      const key = e.features[0].id ?? `${layer === "jobs-reports" ? "r" : "i"}${e.features[0].properties.pk}`;
      const li = document.querySelector(`#job-list li[data-key="${key}"]`);
      if (li) {
        li.scrollIntoView({ block: "nearest" });
        li.querySelector("input").focus();
      }
    });
    map.on("mouseenter", layer, () => { if (state.draw.mode === "idle") map.getCanvas().style.cursor = "pointer"; });
    map.on("mouseleave", layer, () => { if (state.draw.mode === "idle") map.getCanvas().style.cursor = ""; });
  }
}

function baseStyle(style) {
  // Keep the offline base map, districts and assets from the tile style; the jobs and
  // missions come as GeoJSON so that the list and the map show the same features.
  const keep = new Set(["basemap", "zones", "assets"]);
  const layers = style.layers.filter((l) => !l.metadata || keep.has(l.metadata["ronde:layer"]));
  for (const l of layers) {
    if (l.metadata && l.metadata["ronde:layer"] === "assets") l.layout = { ...(l.layout || {}), visibility: "none" };
  }
  const used = new Set(layers.map((l) => l.source).filter(Boolean));
  const sources = Object.fromEntries(Object.entries(style.sources).filter(([k]) => used.has(k)));
  return { ...style, layers, sources };
}

function toggleAssets() {
  const visible = $("show-assets").checked;
  for (const l of state.map.getStyle().layers) {
    if (l.metadata && l.metadata["ronde:layer"] === "assets") state.map.setLayoutProperty(l.id, "visibility", visible ? "visible" : "none");
  }
}

function bindPanel() {
  for (const id of ["filter-category", "filter-status", "filter-age", "filter-priority"]) $(id).addEventListener("change", renderJobs);
  $("show-assets").addEventListener("change", toggleAssets);
  $("board-date").addEventListener("change", () => { $("plan-date").value = $("board-date").value; loadBoard(); });
  $("draw-rectangle").addEventListener("click", () => { state.drawButton = "draw-rectangle"; state.draw.begin("rectangle"); say("zone-status", T.draw_rectangle_help); });
  $("draw-polygon").addEventListener("click", () => { state.drawButton = "draw-polygon"; state.draw.begin("polygon"); say("zone-status", T.draw_polygon_help); });
  $("zone-clear").addEventListener("click", () => state.draw.clear());
  $("zone-district-use").addEventListener("click", () => {
    const id = $("zone-district").value;
    if (id) preview({ zone_id: Number(id) });
  });
  $("zone-from-selection").addEventListener("click", () => {
    const coords = checkedJobs().map((li) => jobByKey(li.dataset.key)).filter(Boolean).map((f) => f.geometry.coordinates);
    if (!coords.length) return;
    const polygon = rectangleAround(coords);
    setZone(polygon, { fromMap: false });
    fitTo(polygon.coordinates[0]);
  });
  $("plan-form").addEventListener("submit", createMission);
  // The preview's warnings depend on the team and the date: ask again when they change.
  for (const id of ["plan-team", "plan-date"]) $(id).addEventListener("change", () => { if (state.zone) preview({ zone: state.zone }); });
  bindEstimate({ url: URLS.fit_estimate, strings: T, say, fmt, laterBy, planned: () => (state.preview ? { zone: state.zone, excluded: state.excluded } : null) });
  $("mission-optimize").addEventListener("click", () => optimise());
  $("fit-agent").addEventListener("click", () => optimise({ agents: state.mission.properties.agents + 1 }));
  $("fit-longer").addEventListener("click", () => optimise({ shift_end: laterBy(state.mission.properties.shift_end, 1) }));
  $("fit-leave").addEventListener("click", async () => {
    const remove = state.mission.properties.stops.filter((s) => s.status === "unassigned").map((s) => s.id);
    await editStops({ remove });
    say("plan-status", T.left_in_pool);
    await optimise();
  });
  $("mission-dispatch").addEventListener("click", () => setStatus("dispatched"));
  $("mission-cancel").addEventListener("click", () => setStatus("cancelled"));
  $("bulk-form").addEventListener("submit", applyBulk);
  $("bulk-action").addEventListener("change", syncBulkFields);
  $("template-form").addEventListener("submit", fillTemplateForm);
  // Finishing or cancelling hides the polygon's buttons: the focus goes on to the jobs of
  // the zone (the plan's heading), or back to the button that started the drawing.
  $("draw-finish").addEventListener("click", () => { state.draw.finish(); keepFocus($("plan-heading")); });
  $("draw-undo").addEventListener("click", () => { state.draw.undo(); keepFocus($("draw-cancel")); });
  $("draw-cancel").addEventListener("click", () => {
    state.draw.cancel();
    say("zone-status", state.zone ? "" : T.zone_none);
    keepFocus($(state.drawButton || "draw-polygon"));
  });
  syncBulkFields();
}

async function start() {
  const { maplibregl, map } = await startMap(el, { adaptStyle: baseStyle });
  state.maplibregl = maplibregl;
  state.map = map;
  window.rondeDispatch = state; // for debugging and browser tests
  followPlaces(map, maplibregl); // the search box (geo/_address_search.html)
  await new Promise((resolve) => map.on("load", resolve));
  addLayers(map);
  state.draw = new ZoneDraw(map, {
    onChange: (polygon) => setZone(polygon),
    onModeChange: (mode) => {
      el.dataset.drawMode = mode;
      // Touch and keyboard users close or correct a polygon with these buttons.
      const n = state.draw ? state.draw.corners.length : 0;
      $("polygon-tools").hidden = mode === "idle" || mode === "drag-vertex";
      $("draw-finish").hidden = mode !== "polygon";
      $("draw-undo").hidden = mode !== "polygon";
      $("draw-finish").disabled = n < 3;
      $("draw-undo").disabled = n < 1;
    },
  });
  bindPanel();
  await loadBoard();
  const jobs = allJobs();
  if (jobs.length) fitTo(jobs.map((f) => f.geometry.coordinates));
  map.on("idle", () => { el.dataset.state = "idle"; say("map-status", ""); });
  map.triggerRepaint();
}

start().catch((error) => {
  el.dataset.state = "error";
  say("map-status", String(error));
  console.error(error);
});
