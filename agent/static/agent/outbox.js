// The outbox: every change is written here first (IndexedDB), with a client-made UUID, and
// replayed to the server when the network allows. The server treats the UUIDs as
// idempotency keys, so sending something twice is harmless — which is why an interrupted
// sync simply starts again from the first entry still waiting.
import { del, getAll, put, tx } from "./db.js";

const KEEP_SENT_MS = 2 * 24 * 3600 * 1000;
let apiBase = "/agent/api/";
let labels = {};
let running = null;
const listeners = new Set();

// `labels`: the app's names of the fields the server may refuse (surface_m2 → "Surface (m²)").
export function configure({ api, labels: names = {} }) { apiBase = api; labels = names; }
export function onChange(fn) { listeners.add(fn); }
async function changed(extra) {
  const c = await counts();
  listeners.forEach((fn) => fn(c, extra));
}

export function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

// An intervention entry carries the whole current state: a newer one replaces the one
// still waiting for the same intervention (the server keeps the latest device time anyway).
export async function queueIntervention(clientUuid, body) {
  await tx("outbox", "readwrite", (s) => new Promise((resolve) => {
    const req = s.openCursor();
    req.onsuccess = () => {
      const cur = req.result;
      if (!cur) { s.add({ type: "intervention", uuid: clientUuid, body, created: Date.now() }); resolve(); return; }
      if (cur.value.type === "intervention" && cur.value.uuid === clientUuid && !cur.value.error) cur.delete();
      cur.continue();
    };
  }));
  await changed();
}

export async function queueReport(clientUuid, body) {
  await tx("outbox", "readwrite", (s) => s.add({ type: "report", uuid: clientUuid, body, created: Date.now() }));
  await changed();
}

export async function queuePhoto(clientUuid, fields, blob) {
  await tx("outbox", "readwrite", (s) => s.add({ type: "photo", uuid: clientUuid, fields, blob, created: Date.now() }));
  await changed();
}

export async function counts() {
  const items = await getAll("outbox");
  const interventions = new Set(items.filter((i) => i.type === "intervention").map((i) => i.uuid));
  return {
    interventions: interventions.size,
    photos: items.filter((i) => i.type === "photo").length,
    reports: items.filter((i) => i.type === "report").length,
    failed: items.filter((i) => i.error).length,
    total: items.length,
  };
}

// Where one intervention's work stands on this device: "waiting" (its edit or one of its
// photos is still in the outbox), "error" (the server refused one of them; the details screen
// says why) or "sent" (nothing of it is left to send).
export async function workState(clientUuid) {
  const mine = (await getAll("outbox")).filter((i) => (i.type === "intervention" && i.uuid === clientUuid)
    || (i.type === "photo" && i.fields && i.fields.intervention === clientUuid));
  if (mine.some((i) => i.error)) return "error";
  return mine.length ? "waiting" : "sent";
}

export const pending = () => getAll("outbox");
export const recentlySent = () => getAll("sent");

function csrfToken() {
  const m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return m ? decodeURIComponent(m[1]) : "";
}

function requestFor(item) {
  const headers = { "X-CSRFToken": csrfToken(), Accept: "application/json" };
  if (item.type === "photo") {
    // The photo is the body, its fields the query string: the server reads it in one go
    // instead of searching a multipart form for it (agent/parsers.py).
    const query = new URLSearchParams();
    Object.entries(item.fields).forEach(([k, v]) => { if (v !== null && v !== undefined) query.append(k, v); });
    const type = item.blob.type || "";
    headers["Content-Type"] = type.startsWith("image/") ? type : "application/octet-stream";
    return [`${apiBase}photos/${item.uuid}/?${query}`, { method: "PUT", body: item.blob, headers, credentials: "same-origin" }];
  }
  headers["Content-Type"] = "application/json";
  const path = item.type === "report" ? "reports" : "interventions";
  return [`${apiBase}${path}/${item.uuid}/`, { method: "PUT", body: JSON.stringify(item.body), headers, credentials: "same-origin" }];
}

// The server's refusal as the agent reads it: each field by the name the form gives it.
function describe(body) {
  if (!body || typeof body !== "object") return String(body || "");
  const text = (v) => (Array.isArray(v) ? v.join(" ") : typeof v === "object" ? JSON.stringify(v) : v);
  return Object.entries(body).map(([k, v]) => (k === "detail" || k === "non_field_errors" ? text(v) : `${labels[k] || k}: ${text(v)}`)).join("; ");
}

// Interventions and reports first (a photo needs its subject on the server), then photos;
// in the order they were made. Returns {ok, sent, failed, reason}.
export function sync() {
  if (running) return running;
  running = (async () => {
    let sent = 0;
    try {
      const items = (await getAll("outbox")).filter((i) => !i.error);
      items.sort((a, b) => (a.type === "photo") - (b.type === "photo") || a.id - b.id);
      for (const item of items) {
        let response;
        try {
          const [url, init] = requestFor(item);
          response = await fetch(url, init);
        } catch (err) {
          return { ok: false, sent, reason: "network" };
        }
        if (response.ok) {
          const answer = await response.json().catch(() => ({}));
          await tx("outbox", "readwrite", (s) => s.delete(item.id));
          await put("sent", { ...item, id: `${item.type}:${item.uuid}:${item.id}`, sentAt: Date.now(), answer });
          sent += 1;
          await changed({ item, answer });
        } else if (response.status === 401 || response.status === 403 && !(await isJson(response))) {
          return { ok: false, sent, reason: "auth" };
        } else if (response.status >= 500 || response.status === 429) {
          return { ok: false, sent, reason: "server" };
        } else {
          // A 4xx the agent must see: kept in the outbox with the server's reason, not retried
          // blindly. "Send again" on the details screen clears the error.
          const body = await response.json().catch(() => ({}));
          await put("outbox", { ...item, error: describe(body) || `HTTP ${response.status}` });
          await changed();
        }
      }
      await prune();
      return { ok: true, sent };
    } finally {
      running = null;
      await changed();
    }
  })();
  return running;
}

async function isJson(response) {
  return (response.headers.get("Content-Type") || "").includes("json");
}

async function prune() {
  const old = (await getAll("sent")).filter((i) => Date.now() - i.sentAt > KEEP_SENT_MS);
  for (const item of old) await del("sent", item.id);
}

// Put everything sent in the last two days (and every entry in error) back in line.
// Safe: the server answers "already have it" for each UUID it knows.
export async function requeue() {
  const sent = await getAll("sent");
  const waiting = await getAll("outbox");
  await tx("outbox", "readwrite", (s) => {
    waiting.filter((i) => i.error).forEach((i) => { const { error, ...rest } = i; s.put(rest); });
    sent.sort((a, b) => a.sentAt - b.sentAt).forEach((i) => {
      const { id, sentAt, answer, ...rest } = i;
      s.add(rest);
    });
  });
  await tx("sent", "readwrite", (s) => s.clear());
  await changed();
}
