// Transcribe, label and translate: a round of five items, one at a time. Each shows its clip,
// image or source sentence; the volunteer types the text (with the script's helper keys) and
// submits it; a refusal is shown next to the box in the server's words. "far_from_reference"
// asks first: the volunteer may change the text or submit it anyway (`confirmed: true`).
// The page's text lives in _text_task.html and its children; this file only switches it.

import { showAchievements } from "./achievements.js";
import { api, withRetries } from "./api.js";
import { formatNumber, t } from "./i18n.js";
import {
  beginRound,
  isClosed,
  nextItem,
  retryNotice,
  setUpReport,
  showDone,
  showItemStep,
  skipItem,
  stopWith,
  takeFresh,
} from "./round.js";
import { alertWhenItemUnloadable, showTaskItem, taskItemElements } from "./task-item.js";
import { TextAnswer } from "./text-answer.js";
import { announce, byId, showAlert } from "./ui.js";

const root = byId("text-task");
const task = root.dataset.task;
const language = root.dataset.language;
const source = root.dataset.source; // translate: the source language's code; "" otherwise
const sessionSize = Number(root.dataset.sessionSize);
const fromParam = source ? `&from=${encodeURIComponent(source)}` : "";

// The round's progress, one whole message per task ("Clip 2 of 5").
const PROGRESS = {
  transcribe: (params) => t("Clip {n} of {total}", params),
  label: (params) => t("Image {n} of {total}", params),
  translate: (params) => t("Sentence {n} of {total}", params),
};
// Refusals about the item, not the text: nothing to fix in the box, so the next item comes.
const MOVE_ON = new Set(["item_full", "already_contributed", "item_retired", "unknown_item"]);

const el = {
  status: byId("status"),
  alert: byId("alert"),
  loading: byId("loading"),
  workStep: byId("work-step"),
  doneStep: byId("done-step"),
  emptyStep: byId("exhausted-step"),
  emptyHeading: byId("exhausted-heading"),
  closedStep: byId("closed-step"),
  progress: byId("progress"),
  progressText: byId("progress-text"),
  heading: byId("item-heading"),
  form: byId("answer-form"),
  submit: byId("submit"),
  skip: byId("skip"),
  report: byId("report"),
  ...taskItemElements(),
};
const answerBox = new TextAnswer("answer", el.status);

const state = {
  queue: [], // items still to do; queue[0] is on screen
  seen: new Set(), // ids shown this round, so a refill never repeats one
  exhausted: false, // the server said it has nothing more for this person
  done: 0, // contributions the server took this round
  busy: false, // a submission or skip is on its way
};

const page = {
  state,
  el,
  steps: [el.loading, el.workStep, el.doneStep, el.emptyStep, el.closedStep],
  sessionSize,
  media: el.clip,
  // Up to the rest of the round's worth of unseen items; none once the server said it has no more.
  refill: async () => !state.exhausted && (await refill(sessionSize - state.done)),
  show: showItem,
  finish: () => showDone(page),
  setButtons,
};

// ---- items -------------------------------------------------------------------------------

/** Add up to `count` unseen items to the queue; false when none came. */
async function refill(count) {
  const answer = await withRetries(() =>
    api(`tasks/${task}/languages/${language}/items?count=${count}${fromParam}`),
  );
  const fresh = takeFresh(state, answer.items);
  state.exhausted = Boolean(answer.exhausted);
  return fresh;
}

function beginSession() {
  return beginRound(page, { exhausted: false });
}

function showItem() {
  showTaskItem(el, state.queue[0]);
  answerBox.box.value = "";
  answerBox.reset();
  // The instruction, read with the progress; the text box is one Tab away. Focusing the box
  // instead would open a phone's keyboard over the clip or image.
  const progress = PROGRESS[task]({ n: formatNumber(state.done + 1), total: formatNumber(sessionSize) });
  showItemStep(page, progress, el.workStep, el.heading);
}

// ---- answering ---------------------------------------------------------------------------

function setButtons() {
  el.submit.disabled = state.busy;
  answerBox.confirm.disabled = state.busy;
  el.skip.disabled = state.busy;
  el.report.disabled = state.busy;
}

async function submit(confirmed = false) {
  const item = state.queue[0];
  if (!item || state.busy) return;
  const text = answerBox.box.value;
  if (!text.trim()) {
    answerBox.refuse(t("Type the text first."));
    return;
  }
  if (el.clip) el.clip.pause();
  const key = answerBox.keyFor(text, confirmed);
  state.busy = true;
  setButtons();
  showAlert(el.alert, "");
  announce(el.status, t("Sending…"));
  const body = { item_id: item.id, idempotency_key: key, text };
  if (confirmed) body.confirmed = true;
  try {
    const reply = await withRetries(() => api(`tasks/${task}/contributions`, { method: "POST", json: body }), {
      onRetry: retryNotice(el.status),
    });
    state.done += 1;
    showAchievements(reply);
    announce(
      el.status,
      t("Saved. {n} of {total} done.", { n: formatNumber(state.done), total: formatNumber(sessionSize) }),
    );
    state.busy = false;
    await nextItem(page);
  } catch (error) {
    state.busy = false;
    el.status.textContent = ""; // "Sending…" is over; the alert or the box says what happened
    setButtons();
    if (error.retryable) {
      // The text and its key are kept: pressing Submit again cannot make a second contribution.
      // Translators: {error} is the reason the text did not arrive (a whole sentence).
      showAlert(el.alert, t("{error} Your text is kept: press Submit to try again.", { error: error.message }));
    } else if (MOVE_ON.has(error.code)) {
      showAlert(el.alert, error.message);
      await nextItem(page);
    } else if (isClosed(error)) {
      stopWith(page, error);
    } else if (error.status === 422) {
      answerBox.refusedBy(error);
    } else {
      showAlert(el.alert, error.message);
    }
  }
}

function skip() {
  return skipItem(page, (item) => `tasks/${task}/items/${item.id}/skip`, { stayOnFailure: true });
}

// ---- wiring ------------------------------------------------------------------------------

answerBox.wire(el.form, submit);
el.skip.addEventListener("click", skip);
byId("again").addEventListener("click", beginSession);
alertWhenItemUnloadable(el, el.alert);

// A reported item is also skipped, so this person is not shown it again.
setUpReport(page, "item", t("Thank you, it was reported."), skip);

beginSession();
