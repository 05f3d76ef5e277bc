// The outbox: ticks, undos and reports kept in IndexedDB until the server has them.
// Each item has a client-made id; the service worker never writes here.

const DB = "aftercare";
const STORE = "outbox";
let opening = null;
let memory = null; // used only where IndexedDB is unavailable (some private modes)

function open() {
  if (!opening) {
    opening = new Promise((resolve, reject) => {
      const request = indexedDB.open(DB, 1);
      request.onupgradeneeded = () => {
        request.result.createObjectStore(STORE, { keyPath: "id" });
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    }).catch((error) => {
      memory = memory || new Map();
      throw error;
    });
  }
  return opening;
}

async function run(mode, work) {
  let db;
  try {
    db = await open();
  } catch {
    return work(null);
  }
  return new Promise((resolve, reject) => {
    const tx = db.transaction(STORE, mode);
    const result = work(tx.objectStore(STORE));
    tx.oncomplete = () => resolve(result && "result" in result ? result.result : undefined);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
}

/** Every waiting item, oldest first. */
export async function all() {
  const items = await run("readonly", (store) => (store ? store.getAll() : null));
  const list = items || (memory ? [...memory.values()] : []);
  return list.sort((a, b) => a.createdAt - b.createdAt || (a.seq || 0) - (b.seq || 0));
}

export async function put(item) {
  await run("readwrite", (store) => (store ? store.put(item) : memory.set(item.id, item)));
}

export async function remove(id) {
  await run("readwrite", (store) => (store ? store.delete(id) : memory.delete(id)));
}

export async function clear() {
  await run("readwrite", (store) => (store ? store.clear() : memory.clear()));
}
