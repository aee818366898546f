// The upload queue's storage and sending, shared by the pages and the service worker (sw.js),
// so it touches no DOM and no translation: IndexedDB "crowdsource-offline" keeps
//   takes    every take from before its upload starts until the server acknowledged it, in the
//            order they were made: {seq, key (the idempotency key), itemId, language, text,
//            blob, fileName, locale, timeZone, queuedAt, failed: null | {code, message, status}}
//   batches  the last batch of sentences fetched per language, for an offline reload
// and every change is told on the BroadcastChannel "crowdsource-upload-queue", so each open page
// (and the worker) can show the count.

const DB_NAME = "crowdsource-offline";
const DB_VERSION = 1;
const CHANNEL = "crowdsource-upload-queue";
const LOCK = "crowdsource-upload-queue";
export const SYNC_TAG = "upload-takes";

let opening = null;

/** The queue's database (opened once per context). */
function database() {
  if (!opening) {
    opening = new Promise((resolve, reject) => {
      const request = indexedDB.open(DB_NAME, DB_VERSION);
      request.onupgradeneeded = () => {
        const db = request.result;
        const takes = db.createObjectStore("takes", { keyPath: "seq", autoIncrement: true });
        takes.createIndex("key", "key", { unique: true });
        db.createObjectStore("batches", { keyPath: "language" });
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    opening.catch(() => {
      opening = null; // storage blocked or broken: try again next time
    });
  }
  return opening;
}

/** Run `work(store)` in one transaction on `storeName`; resolves with work's result when committed. */
async function inStore(storeName, mode, work) {
  const db = await database();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(storeName, mode);
    let result;
    tx.oncomplete = () => resolve(result);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
    const request = work(tx.objectStore(storeName));
    if (request) request.onsuccess = () => (result = request.result);
  });
}

function tell(message) {
  if (typeof BroadcastChannel === "undefined") return;
  const channel = new BroadcastChannel(CHANNEL);
  channel.postMessage(message);
  channel.close();
}

/** Call `listener(message)` on every change of the queue made in any context. */
export function onQueueChange(listener) {
  if (typeof BroadcastChannel === "undefined") return;
  new BroadcastChannel(CHANNEL).addEventListener("message", (event) => listener(event.data));
}

/** Keep a take until the server acknowledged it (written before its upload starts). */
export async function addTake(take) {
  const record = { ...take, queuedAt: Date.now(), failed: null };
  await inStore("takes", "readwrite", (store) => store.add(record));
  tell({ type: "added", key: take.key });
}

/** Every take still kept, oldest first (waiting and failed alike). */
export function allTakes() {
  return inStore("takes", "readonly", (store) => store.getAll());
}

/** Takes waiting to be sent, oldest first. */
export async function waitingTakes() {
  return (await allTakes()).filter((take) => !take.failed);
}

/** Forget the take with idempotency key `key` (acknowledged, or dismissed after failing). */
export async function removeTake(key) {
  await inStore("takes", "readwrite", (store) => {
    const index = store.index("key");
    const found = index.getKey(key);
    found.onsuccess = () => {
      if (found.result !== undefined) store.delete(found.result);
    };
  });
  tell({ type: "removed", key });
}

async function markFailed(take, failed) {
  await inStore("takes", "readwrite", (store) => store.put({ ...take, failed }));
  tell({ type: "failed", key: take.key });
}

/** Remember the last batch of sentences of `language` (shown again when offline). */
export function saveBatch(language, sentences) {
  return inStore("batches", "readwrite", (store) => store.put({ language, sentences, savedAt: Date.now() }));
}

/** The last batch of sentences of `language`, [] when there is none. */
export async function savedBatch(language) {
  const batch = await inStore("batches", "readonly", (store) => store.get(language));
  return batch ? batch.sentences : [];
}

/** Take sentence `itemId` out of the saved batch (recorded now, or refused for good). */
export async function dropFromBatch(language, itemId) {
  const sentences = await savedBatch(language);
  const left = sentences.filter((sentence) => sentence.id !== itemId);
  if (left.length !== sentences.length) await saveBatch(language, left);
}

/**
 * Whether an answer with this HTTP status means the take can never be accepted: a 4xx other
 * than a timeout or "too many requests" (those, 5xx and no answer at all are worth sending
 * again later).
 */
export function isFinal(status) {
  return status >= 400 && status < 500 && status !== 408 && status !== 425 && status !== 429;
}

/** The upload's form: the same fields (and idempotency key) as speak.js sends. */
export function uploadForm(take) {
  const form = new FormData();
  form.append("audio", take.blob, take.fileName);
  form.append("item_id", String(take.itemId));
  form.append("idempotency_key", take.key);
  return form;
}

async function post(path, take, body) {
  const headers = { Accept: "application/json", "Accept-Language": take.locale || "en" };
  if (take.timeZone) headers["X-Time-Zone"] = take.timeZone;
  const response = await fetch(path, { method: "POST", body, credentials: "same-origin", headers });
  let answer = null;
  try {
    answer = await response.json();
  } catch {
    // not JSON (a proxy's error page): the status says enough
  }
  return { status: response.status, answer };
}

/**
 * Send one queued take. Resolves to {outcome: "sent" | "failed" | "waiting", status, answer}:
 * sent (acknowledged, removed from the queue), failed (refused for good, kept and marked with
 * the server's reason), waiting (no answer or a passing problem: still queued).
 */
export async function sendTake(take) {
  let result;
  try {
    result = await post("/api/v1/recordings", take, uploadForm(take));
    if (result.status === 401 && result.answer?.error?.code === "no_session") {
      await post("/api/v1/session", take, undefined);
      result = await post("/api/v1/recordings", take, uploadForm(take));
    }
  } catch {
    return { outcome: "waiting", status: 0, answer: null };
  }
  const { status, answer } = result;
  if (status >= 200 && status < 300) {
    await removeTake(take.key);
    await dropFromBatch(take.language, take.itemId);
    return { outcome: "sent", status, answer };
  }
  if (isFinal(status)) {
    const error = answer?.error || {};
    await markFailed(take, { status, code: error.code || `http_${status}`, message: error.message || "" });
    await dropFromBatch(take.language, take.itemId);
    return { outcome: "failed", status, answer };
  }
  return { outcome: "waiting", status, answer };
}

async function sendInOrder() {
  for (;;) {
    // Read the oldest each time: takes added meanwhile join the end of the line.
    const [take] = await waitingTakes();
    if (!take) return true;
    const { outcome } = await sendTake(take);
    if (outcome === "waiting") return false; // the network is not back yet: stop, keep the order
  }
}

/**
 * Send every waiting take, oldest first, stopping at the first one that gets no answer.
 * One sender at a time across pages and the worker (Web Locks, where the browser has them;
 * a second concurrent sender would be harmless anyway: the idempotency key makes the server
 * answer a repeat with the first result). Resolves true when nothing is left waiting.
 */
export async function flushQueue() {
  if (typeof navigator !== "undefined" && navigator.locks) {
    const done = await navigator.locks.request(LOCK, { ifAvailable: true }, (lock) =>
      lock ? sendInOrder() : null,
    );
    return done !== null ? done : (await waitingTakes()).length === 0;
  }
  return sendInOrder();
}

/**
 * Run `work()` (a page sending its own take) as the queue's sender when no other sender is
 * busy, so a flush started meanwhile does not upload the same take twice; when one is busy,
 * run it anyway (a repeat is harmless, see flushQueue).
 */
export function asSender(work) {
  if (typeof navigator !== "undefined" && navigator.locks) {
    return navigator.locks.request(LOCK, { ifAvailable: true }, () => work());
  }
  return work();
}
