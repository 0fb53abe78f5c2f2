// IndexedDB, promised. Stores: outbox (waiting), sent (kept two days, "send again"),
// missions (last mission list/details seen), work (the agent's local state per stop).
const DB_NAME = "ronde-agent";
const DB_VERSION = 1;
let opening = null;

export function openDb() {
  if (opening) return opening;
  opening = new Promise((resolve, reject) => {
    const req = indexedDB.open(DB_NAME, DB_VERSION);
    req.onupgradeneeded = () => {
      const db = req.result;
      if (!db.objectStoreNames.contains("outbox")) db.createObjectStore("outbox", { keyPath: "id", autoIncrement: true });
      if (!db.objectStoreNames.contains("sent")) db.createObjectStore("sent", { keyPath: "id" });
      if (!db.objectStoreNames.contains("missions")) db.createObjectStore("missions", { keyPath: "key" });
      if (!db.objectStoreNames.contains("work")) db.createObjectStore("work", { keyPath: "key" });
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
  return opening;
}

function done(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

export async function tx(store, mode, fn) {
  const db = await openDb();
  return new Promise((resolve, reject) => {
    const t = db.transaction(store, mode);
    let result;
    Promise.resolve(fn(t.objectStore(store))).then((r) => { result = r; }, reject);
    t.oncomplete = () => resolve(result);
    t.onerror = () => reject(t.error);
    t.onabort = () => reject(t.error);
  });
}

export const get = (store, key) => tx(store, "readonly", (s) => done(s.get(key)));
export const getAll = (store) => tx(store, "readonly", (s) => done(s.getAll()));
export const put = (store, value) => tx(store, "readwrite", (s) => done(s.put(value)));
export const del = (store, key) => tx(store, "readwrite", (s) => done(s.delete(key)));
