// Checking transcriptions, translations and labels: a round of five. Each shows the item (clip,
// image or source sentence) beside what someone typed; the answers are Correct, Needs a change
// (the text in an editable box, sent as a correction), Skip and Report. A transcription's
// answers unlock once its clip has been heard to the end (the server counts a vote only then).
// Practice items (`practice: true`) show the expected answer after the vote, as validate.js does.

import { formatNumber, t } from "./i18n.js";
import { beginRound, nextItem, setUpReport, showDone, showItemStep, skipItem } from "./round.js";
import { alertWhenItemUnloadable, showTaskItem, taskItemElements } from "./task-item.js";
import { TextAnswer } from "./text-answer.js";
import { announce, byId, showAlert } from "./ui.js";
import { refillQueue, sendVote, setUpCheckKeys, togglePlay } from "./validate-common.js";

const root = byId("validate-text");
const task = root.dataset.task;
const language = root.dataset.language;
const source = root.dataset.source;
const sessionSize = Number(root.dataset.sessionSize);
const fromParam = source ? `&from=${encodeURIComponent(source)}` : "";
// The answers' names, as on their buttons (the practice result names the expected one).
const VERDICT_WORDS = {
  accept: () => t("Correct"),
  reject: () => t("Needs a change"),
  change: () => t("Needs a change"),
};

const el = {
  status: byId("status"),
  alert: byId("alert"),
  loading: byId("loading"),
  checkStep: byId("check-step"),
  doneStep: byId("done-step"),
  emptyStep: byId("empty-step"),
  emptyHeading: byId("empty-heading"),
  closedStep: byId("closed-step"),
  progress: byId("progress"),
  progressText: byId("progress-text"),
  heading: byId("check-heading"),
  contribution: byId("contribution"),
  flagged: byId("flagged"),
  accept: byId("accept"),
  change: byId("change"),
  form: byId("correction-form"),
  send: byId("send-correction"),
  cancel: byId("cancel-correction"),
  skip: byId("skip"),
  report: byId("report"),
  practiceNote: byId("practice-note"),
  practiceResult: byId("practice-result"),
  hint: document.getElementById("listen-hint"), // transcribe
  ...taskItemElements(),
};
const correction = new TextAnswer("correction", el.status);

const state = {
  queue: [], // contributions still to check; queue[0] is on screen
  seen: new Set(),
  done: 0, // answers given this round
  corrected: 0, // of which corrections
  listened: false, // transcribe: the clip on screen has played to its end
  busy: false,
};

const page = {
  state,
  el,
  steps: [el.loading, el.checkStep, el.doneStep, el.emptyStep, el.closedStep],
  sessionSize,
  media: el.clip,
  refill: () =>
    refillQueue(state, `tasks/${task}/languages/${language}/queue?count=${sessionSize}${fromParam}`, "contributions"),
  show: showContribution,
  finish,
  setButtons,
};

// ---- the queue ---------------------------------------------------------------------------

function beginSession() {
  return beginRound(page, { corrected: 0 });
}

function showContribution() {
  const contribution = state.queue[0];
  const { item } = contribution;
  state.listened = !el.clip; // only a clip must be heard first
  showTaskItem(el, item);
  if (el.clip) el.hint.textContent = t("Listen to the whole clip, then answer.");
  if (el.source) {
    // The source sentence keeps its own language and direction (RTL Urdu into Hindi, say).
    el.source.lang = item.source_language || source || "";
    el.source.dir = "auto";
  }
  el.contribution.textContent = contribution.text;
  el.flagged.hidden = !contribution.flagged;
  el.practiceNote.hidden = !contribution.practice;
  el.practiceResult.hidden = true;
  closeCorrection();
  // Translators: the progress of a round of checks ("Check 2 of 5").
  const progress = t("Check {n} of {total}", { n: formatNumber(state.done + 1), total: formatNumber(sessionSize) });
  showItemStep(page, progress, el.checkStep, el.heading);
}

function finish() {
  byId("session-corrected").textContent = formatNumber(state.corrected);
  showDone(page);
}

// ---- answering ---------------------------------------------------------------------------

function setButtons() {
  const answerable = !state.busy && state.listened;
  el.accept.disabled = !answerable;
  el.change.disabled = !answerable;
  el.send.disabled = !answerable;
  correction.confirm.disabled = !answerable;
  el.skip.disabled = state.busy;
  el.report.disabled = state.busy;
}

function openCorrection() {
  const contribution = state.queue[0];
  if (!contribution || el.change.disabled) return;
  const box = correction.box;
  if (!el.form.hidden) {
    box.focus();
    return;
  }
  box.value = contribution.text;
  correction.reset();
  el.form.hidden = false;
  el.change.setAttribute("aria-expanded", "true");
  box.focus();
  box.setSelectionRange(box.value.length, box.value.length);
}

function closeCorrection() {
  el.form.hidden = true;
  el.change.setAttribute("aria-expanded", "false");
  correction.reset();
}

/** Send an answer: "accept", or "change" with the corrected text in the box. */
async function answer(verdict, { confirmed = false } = {}) {
  const contribution = state.queue[0];
  if (!contribution || !state.listened || state.busy) return;
  const body = { verdict };
  if (verdict === "change") {
    const text = correction.box.value;
    if (!text.trim()) {
      correction.refuse(t("Type the corrected text, or answer Correct."));
      return;
    }
    if (text.trim() === contribution.text.trim()) {
      correction.refuse(t("The text is unchanged. Correct what is wrong, or answer Correct."));
      return;
    }
    body.text = text;
    body.idempotency_key = correction.keyFor(text, confirmed);
    if (confirmed) body.confirmed = true;
  }
  if (el.clip) el.clip.pause();
  await sendVote(page, `contributions/${contribution.id}/votes`, body, {
    words: VERDICT_WORDS,
    sent: verdict === "accept" ? t("Marked correct.") : t("Correction sent."),
    next: () => nextItem(page),
    onSent: () => {
      if (verdict === "change") state.corrected += 1;
    },
    keep: (error) => {
      if (verdict === "change" && error.status === 422) {
        // The correction was refused as a text (wrong script, too short…): fix it in the box.
        correction.refusedBy(error);
        return true;
      }
      if (error.code === "not_listened") {
        showAlert(el.alert, error.message);
        return true;
      }
      return false;
    },
  });
}

function skip() {
  return skipItem(page, (contribution) => `contributions/${contribution.id}/skip`);
}

// ---- wiring ------------------------------------------------------------------------------

if (el.clip) {
  el.clip.addEventListener("ended", () => {
    if (state.listened) return;
    state.listened = true;
    el.hint.textContent = t("Is the text exactly what the clip says?");
    setButtons();
    announce(el.status, t("Finished playing. Is the text correct?"));
  });
}
alertWhenItemUnloadable(el, el.alert);

el.accept.addEventListener("click", () => answer("accept"));
el.change.addEventListener("click", openCorrection);
correction.wire(
  el.form,
  (confirmed) => answer("change", { confirmed }),
  () => {
    closeCorrection();
    el.change.focus();
  },
);
el.cancel.addEventListener("click", () => {
  closeCorrection();
  el.change.focus();
});
el.skip.addEventListener("click", skip);
byId("again").addEventListener("click", beginSession);

// A reported contribution is also skipped, so this person is not asked about it again.
setUpReport(page, "contribution", t("Thank you, it was reported."), skip);

setUpCheckKeys(el.checkStep, {
  play: el.clip ? () => togglePlay(page, el.clip, el.checkStep) : null,
  accept: () => answer("accept"),
  reject: openCorrection,
  skip,
  ownKeys: el.clip, // the player's own keys (Space, arrows) stay its own
});

beginSession();
