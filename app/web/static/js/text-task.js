// Transcribe, label and translate: a round of five items, one at a time. Each shows its clip,
// image or source sentence; the volunteer types the text (with the script's helper keys) and
// submits it; a refusal is shown next to the box in the server's words. "far_from_reference"
// asks first: the volunteer may change the text or submit it anyway (`confirmed: true`).
// The page's text lives in _text_task.html and its children; this file only switches it.

import { api, newIdempotencyKey, withRetries } from "./api.js";
import { setUpReportDialog } from "./report.js";
import { setUpScriptKeys } from "./script-keys.js";
import { announce, byId, showAlert, showStep } from "./ui.js";

const root = byId("text-task");
const task = root.dataset.task;
const language = root.dataset.language;
const source = root.dataset.source; // translate: the source language's code; "" otherwise
const sessionSize = Number(root.dataset.sessionSize);
const fromParam = source ? `&from=${encodeURIComponent(source)}` : "";

const ITEM_WORDS = { transcribe: "Clip", label: "Image", translate: "Sentence" };
// Refusals about the item, not the text: nothing to fix in the box, so the next item comes.
const MOVE_ON = new Set(["item_full", "already_contributed", "item_retired", "unknown_item"]);
const CLOSED = new Set(["task_closed", "unknown_task", "unknown_language"]);

const el = {
  status: byId("status"),
  alert: byId("alert"),
  loading: byId("loading"),
  workStep: byId("work-step"),
  doneStep: byId("done-step"),
  exhaustedStep: byId("exhausted-step"),
  closedStep: byId("closed-step"),
  progress: byId("progress"),
  progressText: byId("progress-text"),
  heading: byId("item-heading"),
  form: byId("answer-form"),
  answer: byId("answer"),
  error: byId("answer-error"),
  confirmRow: byId("answer-confirm-row"),
  confirm: byId("answer-confirm"),
  submit: byId("submit"),
  skip: byId("skip"),
  report: byId("report"),
  clip: document.getElementById("clip"), // transcribe
  image: document.getElementById("image"), // label
  source: document.getElementById("source"), // translate
};
const steps = [el.loading, el.workStep, el.doneStep, el.exhaustedStep, el.closedStep];

const state = {
  queue: [], // items still to do; queue[0] is on screen
  seen: new Set(), // ids shown this round, so a refill never repeats one
  exhausted: false, // the server said it has nothing more for this person
  done: 0, // contributions the server took this round
  attempt: null, // {key, text, confirmed}: the last send; its key is reused only to retry it
  busy: false, // a submission or skip is on its way
};

// ---- items -------------------------------------------------------------------------------

/** Add up to `count` unseen items to the queue; false when none came. */
async function refill(count) {
  const answer = await withRetries(() =>
    api(`tasks/${task}/languages/${language}/items?count=${count}${fromParam}`),
  );
  const fresh = answer.items.filter((item) => !state.seen.has(item.id));
  for (const item of fresh) state.seen.add(item.id);
  state.queue.push(...fresh);
  state.exhausted = Boolean(answer.exhausted);
  return fresh.length > 0;
}

async function beginSession() {
  Object.assign(state, { queue: [], seen: new Set(), exhausted: false, done: 0 });
  el.progress.max = sessionSize;
  showStep(steps, el.loading);
  showAlert(el.alert, "");
  try {
    if (await refill(sessionSize)) {
      showItem();
    } else {
      finishWhenNothingLeft();
    }
  } catch (error) {
    stopWith(error);
  }
}

/** A failure to fetch items: a closed task gets its own step; anything else, the alert. */
function stopWith(error) {
  if (CLOSED.has(error.code)) {
    byId("closed-reason").textContent = error.message;
    showStep(steps, el.closedStep);
    byId("closed-heading").focus();
  } else {
    showAlert(el.alert, error.message);
  }
}

function showItem() {
  const item = state.queue[0];
  if (el.clip) {
    el.clip.src = item.media_url;
    el.clip.load();
  }
  if (el.image) {
    if (item.width && item.height) {
      // Known size: the page does not jump when the image arrives.
      el.image.width = item.width;
      el.image.height = item.height;
    } else {
      el.image.removeAttribute("width");
      el.image.removeAttribute("height");
    }
    el.image.src = item.media_url;
  }
  if (el.source) el.source.textContent = item.text;
  el.answer.value = "";
  clearRefusal();
  state.attempt = null;
  el.progress.value = state.done;
  el.progressText.textContent = `${ITEM_WORDS[task]} ${state.done + 1} of ${sessionSize}`;
  setButtons();
  showStep(steps, el.workStep);
  // The instruction, read with the progress; the text box is one Tab away. Focusing the box
  // instead would open a phone's keyboard over the clip or image.
  el.heading.focus();
}

/** Leave the item on screen (done, skipped or reported) and show the next one. */
async function nextItem() {
  if (el.clip) el.clip.pause();
  state.queue.shift();
  if (state.done >= sessionSize) {
    finish();
    return;
  }
  if (state.queue.length === 0) {
    showStep(steps, el.loading);
    try {
      if (state.exhausted || !(await refill(sessionSize - state.done))) {
        finishWhenNothingLeft();
        return;
      }
    } catch (error) {
      stopWith(error);
      return;
    }
  }
  showItem();
}

function finishWhenNothingLeft() {
  if (state.done > 0) {
    finish();
  } else {
    showStep(steps, el.exhaustedStep);
    byId("exhausted-heading").focus();
  }
}

function finish() {
  if (el.clip) el.clip.removeAttribute("src");
  byId("session-count").textContent = String(state.done);
  showStep(steps, el.doneStep);
  byId("done-heading").focus();
}

// ---- answering ---------------------------------------------------------------------------

function setButtons() {
  el.submit.disabled = state.busy;
  el.confirm.disabled = state.busy;
  el.skip.disabled = state.busy;
  el.report.disabled = state.busy;
}

/** Say next to the box why the server refused the text. */
function showRefusal(message, { confirmable = false } = {}) {
  showAlert(el.error, message);
  el.answer.setAttribute("aria-invalid", "true");
  el.confirmRow.hidden = !confirmable;
}

function clearRefusal() {
  showAlert(el.error, "");
  el.answer.removeAttribute("aria-invalid");
  el.confirmRow.hidden = true;
}

/**
 * The idempotency key of this send: the last one's when it is the same text sent again (a
 * retry after a lost answer must not make a second contribution), a fresh one otherwise.
 */
function keyFor(text, confirmed) {
  const last = state.attempt;
  if (last && last.text === text && last.confirmed === confirmed) return last.key;
  state.attempt = { key: newIdempotencyKey(), text, confirmed };
  return state.attempt.key;
}

async function submit(confirmed = false) {
  const item = state.queue[0];
  if (!item || state.busy) return;
  const text = el.answer.value;
  if (!text.trim()) {
    showRefusal("Type the text first.");
    el.answer.focus();
    return;
  }
  if (el.clip) el.clip.pause();
  const key = keyFor(text, confirmed);
  state.busy = true;
  setButtons();
  showAlert(el.alert, "");
  announce(el.status, "Sending…");
  const body = { item_id: item.id, idempotency_key: key, text };
  if (confirmed) body.confirmed = true;
  try {
    await withRetries(() => api(`tasks/${task}/contributions`, { method: "POST", json: body }), {
      onRetry: (_error, wait) => announce(el.status, `Connection problem. Trying again in ${wait} s…`),
    });
    state.done += 1;
    announce(el.status, `Saved. ${state.done} of ${sessionSize} done.`);
    state.busy = false;
    await nextItem();
  } catch (error) {
    state.busy = false;
    el.status.textContent = ""; // "Sending…" is over; the alert or the box says what happened
    setButtons();
    if (error.retryable) {
      // The text and its key are kept: pressing Submit again cannot make a second contribution.
      showAlert(el.alert, `${error.message} Your text is kept: press Submit to try again.`);
    } else if (MOVE_ON.has(error.code)) {
      showAlert(el.alert, error.message);
      await nextItem();
    } else if (CLOSED.has(error.code)) {
      stopWith(error);
    } else if (error.status === 422) {
      // A refused text (wrong script, too short, far from the reference…): its message says
      // what to change, next to the box. A changed text is a new attempt with a new key.
      state.attempt = null;
      showRefusal(error.message, { confirmable: error.code === "far_from_reference" });
      el.answer.focus();
    } else {
      showAlert(el.alert, error.message);
    }
  }
}

async function skip() {
  if (state.busy || state.queue.length === 0) return;
  const item = state.queue[0];
  state.busy = true;
  setButtons();
  try {
    await withRetries(() => api(`tasks/${task}/items/${item.id}/skip`, { method: "POST" }));
    announce(el.status, "Skipped.");
    state.busy = false;
    await nextItem();
  } catch (error) {
    state.busy = false;
    showAlert(el.alert, error.message);
    setButtons();
  }
}

// ---- wiring ------------------------------------------------------------------------------

setUpScriptKeys(byId("answer-keys"), el.answer, el.answer.dataset.script, {
  onInsert: (name) => announce(el.status, `${name} inserted`),
});

el.form.addEventListener("submit", (event) => {
  event.preventDefault();
  submit();
});
el.confirm.addEventListener("click", () => submit(true));
// Once the text changes, a "far from the reference" question is about a text no longer there.
el.answer.addEventListener("input", () => {
  if (!el.confirmRow.hidden || el.answer.getAttribute("aria-invalid")) clearRefusal();
});
el.answer.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && !event.repeat) {
    event.preventDefault();
    submit();
  }
});
el.skip.addEventListener("click", skip);
byId("again").addEventListener("click", beginSession);
if (el.clip) {
  el.clip.addEventListener("error", () => {
    if (!el.clip.getAttribute("src")) return; // cleared on purpose
    showAlert(el.alert, "This clip could not be loaded. Skip it, or reload the page to try again.");
  });
}
if (el.image) {
  el.image.addEventListener("error", () => {
    if (!el.image.getAttribute("src")) return;
    showAlert(el.alert, "This image could not be loaded. Skip it, or reload the page to try again.");
  });
}

setUpReportDialog(el.report, {
  target: "item",
  currentId: () => (state.queue.length ? state.queue[0].id : null),
  // A reported item is also skipped, so this person is not shown it again.
  onReported: () => {
    announce(el.status, "Thank you, it was reported.");
    skip();
  },
});

beginSession();
