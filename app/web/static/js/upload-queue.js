// The speak page's side of the upload queue (queue-store.js keeps it, offline.js sends it):
// each take is kept before its upload starts and forgotten once the server acknowledged it;
// the page says how many takes are waiting, lists the ones refused for good with the reason,
// asks before the page is left with a take not yet sent, and falls back to the last batch of
// sentences when there is no network.

import { ApiError } from "./api.js";
import { t, tn } from "./i18n.js";
import {
  addTake,
  allTakes,
  asSender,
  dropFromBatch,
  isFinal,
  onQueueChange,
  removeTake,
  saveBatch,
  savedBatch,
} from "./queue-store.js";
import { announce } from "./ui.js";

const inFlight = new Set(); // keys this page is sending itself right now (not "waiting" yet)
let view = null; // {waiting, failed, failedList, unsent}
let waitingCount = 0;
let shownCount = null;

/** Whether a send failure can only be repeated, never fixed by sending again later. */
export function refusedForGood(error) {
  return error instanceof ApiError && isFinal(error.status);
}

/**
 * Keep a take in the queue before it is sent. `take`: {key, itemId, language, text, blob,
 * fileName}. Resolves false when this device cannot keep it (the upload goes ahead anyway).
 */
export async function queueTake(take) {
  inFlight.add(take.key);
  try {
    await addTake({ ...take, locale: document.documentElement.lang || "en", timeZone: timeZone() });
    return true;
  } catch {
    inFlight.delete(take.key);
    return false;
  } finally {
    refresh();
  }
}

/** Send the page's own take with `send()`, as the queue's sender while nobody else is one. */
export function sendOwnTake(send) {
  return asSender(send);
}

/** The server has the take (or refused it for good, and the page says so): forget it. */
export async function takeDone(take) {
  inFlight.delete(take.key);
  try {
    await removeTake(take.key);
    await dropFromBatch(take.language, take.itemId);
  } catch {
    // the queue is unavailable: nothing was kept
  }
  refresh();
}

/** The take got no answer: it stays in the queue and is sent again later (offline.js). */
export function takeWaits(take) {
  inFlight.delete(take.key);
  refresh();
}

function timeZone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || null;
  } catch {
    return null;
  }
}

/**
 * Sentences to record: `fetchBatch()` (the API's answer) when there is a network, kept as the
 * language's last batch; without one, that batch less the sentences whose takes are queued.
 */
export async function sentencesFor(language, fetchBatch) {
  let failure = null;
  if (navigator.onLine !== false) {
    try {
      const answer = await fetchBatch();
      saveBatch(language, answer.sentences).catch(() => {});
      return answer.sentences;
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 0) throw error;
      failure = error;
    }
  }
  let sentences = [];
  try {
    const queued = new Set((await allTakes()).map((take) => take.itemId));
    sentences = (await savedBatch(language)).filter((sentence) => !queued.has(sentence.id));
  } catch {
    // no queue on this device
  }
  if (sentences.length === 0) {
    throw failure || new ApiError(0, "network", t("We could not reach the server. Check your connection and try again."));
  }
  return sentences;
}

function showFailed(takes) {
  const { failed, failedList } = view;
  failedList.replaceChildren();
  for (const take of takes) {
    const item = document.createElement("li");
    const sentence = document.createElement("p");
    sentence.textContent = take.text || "";
    sentence.lang = take.language;
    const reason = document.createElement("p");
    reason.textContent = take.failed.message || t("The server refused this recording.");
    const dismiss = document.createElement("button");
    dismiss.type = "button";
    dismiss.className = "link-button";
    dismiss.textContent = t("Dismiss");
    dismiss.addEventListener("click", () => removeTake(take.key).finally(refresh));
    item.append(sentence, reason, dismiss);
    failedList.append(item);
  }
  failed.hidden = takes.length === 0;
}

/** Read the queue again and update the count and the failed list. */
async function refresh() {
  if (!view) return;
  let takes;
  try {
    takes = await allTakes();
  } catch {
    return;
  }
  const waiting = takes.filter((take) => !take.failed && !inFlight.has(take.key));
  waitingCount = waiting.length;
  showFailed(takes.filter((take) => take.failed));
  if (waitingCount === shownCount) return; // the same text is not announced twice
  const before = shownCount;
  shownCount = waitingCount;
  if (waitingCount > 0) {
    announce(
      view.waiting,
      tn("{n} recording waiting to upload", "{n} recordings waiting to upload", waitingCount),
    );
  } else if (before) {
    announce(view.waiting, t("No recordings are waiting to upload."));
  } else {
    view.waiting.textContent = "";
  }
}

/**
 * Show the queue on the page: `waiting` (a polite live region) gets the count, `failed` (hidden
 * while empty) and `failedList` the takes refused for good. `unsent()` says whether the page holds
 * a take not yet in the queue; leaving then, or with takes waiting, asks first.
 */
export function showUploadQueue({ waiting, failed, failedList, unsent }) {
  view = { waiting, failed, failedList };
  onQueueChange(() => refresh());
  window.addEventListener("beforeunload", (event) => {
    if (!unsent() && waitingCount === 0 && inFlight.size === 0) return;
    event.preventDefault();
    event.returnValue = ""; // older browsers need a value to ask
  });
  refresh();
}
