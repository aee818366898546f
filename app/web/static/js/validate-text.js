// Checking transcriptions, translations and labels: a round of five. Each shows the item (clip,
// image or source sentence) beside what someone typed; the answers are Correct, Needs a change
// (the text in an editable box, sent as a correction), Skip and Report. A transcription's
// answers unlock once its clip has been heard to the end (the server counts a vote only then).
// Practice items (`practice: true`) show the expected answer after the vote, as validate.js does.

import { api, newIdempotencyKey, withRetries } from "./api.js";
import { setUpReportDialog } from "./report.js";
import { setUpScriptKeys } from "./script-keys.js";
import { announce, byId, keyActivatesTarget, shortcutAllowed, showAlert, showStep } from "./ui.js";

const root = byId("validate-text");
const task = root.dataset.task;
const language = root.dataset.language;
const source = root.dataset.source;
const sessionSize = Number(root.dataset.sessionSize);
const fromParam = source ? `&from=${encodeURIComponent(source)}` : "";
const PRACTICE_PAUSE_MS = 2500; // how long the expected answer of a practice item stays up
const VERDICT_WORDS = { accept: "Correct", reject: "Needs a change", change: "Needs a change" };
const CLOSED = new Set(["task_closed", "unknown_task", "unknown_language"]);

const el = {
  status: byId("status"),
  alert: byId("alert"),
  loading: byId("loading"),
  checkStep: byId("check-step"),
  doneStep: byId("done-step"),
  emptyStep: byId("empty-step"),
  closedStep: byId("closed-step"),
  progress: byId("progress"),
  progressText: byId("progress-text"),
  heading: byId("check-heading"),
  contribution: byId("contribution"),
  flagged: byId("flagged"),
  accept: byId("accept"),
  change: byId("change"),
  form: byId("correction-form"),
  correction: byId("correction"),
  error: byId("correction-error"),
  confirmRow: byId("correction-confirm-row"),
  confirm: byId("correction-confirm"),
  send: byId("send-correction"),
  cancel: byId("cancel-correction"),
  skip: byId("skip"),
  report: byId("report"),
  practiceNote: byId("practice-note"),
  practiceResult: byId("practice-result"),
  clip: document.getElementById("clip"), // transcribe
  hint: document.getElementById("listen-hint"),
  image: document.getElementById("image"), // label
  source: document.getElementById("source"), // translate
};
const steps = [el.loading, el.checkStep, el.doneStep, el.emptyStep, el.closedStep];

const state = {
  queue: [], // contributions still to check; queue[0] is on screen
  seen: new Set(),
  done: 0, // answers given this round
  corrected: 0, // of which corrections
  listened: false, // transcribe: the clip on screen has played to its end
  attempt: null, // {key, text, confirmed}: the last correction sent, reused only to retry it
  busy: false,
};

// ---- the queue ---------------------------------------------------------------------------

// The server remembers when each contribution was handed out, to this browser's session; the
// page view normally brought one, but ask before the first queue if it did not (validate.js).
let sessionChecked = false;

async function refill() {
  if (!sessionChecked) {
    await withRetries(() => api("session", { method: "POST" }));
    sessionChecked = true;
  }
  const answer = await withRetries(() =>
    api(`tasks/${task}/languages/${language}/queue?count=${sessionSize}${fromParam}`),
  );
  const fresh = answer.contributions.filter((contribution) => !state.seen.has(contribution.id));
  for (const contribution of fresh) state.seen.add(contribution.id);
  state.queue.push(...fresh);
  return fresh.length > 0;
}

async function beginSession() {
  Object.assign(state, { queue: [], seen: new Set(), done: 0, corrected: 0 });
  el.progress.max = sessionSize;
  showStep(steps, el.loading);
  showAlert(el.alert, "");
  await showNextOrStop();
}

async function showNextOrStop() {
  if (state.done >= sessionSize) {
    finish();
    return;
  }
  if (state.queue.length === 0) {
    showStep(steps, el.loading);
    try {
      if (!(await refill())) {
        if (state.done > 0) {
          finish();
        } else {
          showStep(steps, el.emptyStep);
          byId("empty-heading").focus();
        }
        return;
      }
    } catch (error) {
      if (CLOSED.has(error.code)) {
        byId("closed-reason").textContent = error.message;
        showStep(steps, el.closedStep);
        byId("closed-heading").focus();
      } else {
        showAlert(el.alert, error.message);
      }
      return;
    }
  }
  showContribution(state.queue[0]);
}

function showContribution(contribution) {
  const { item } = contribution;
  state.listened = !el.clip; // only a clip must be heard first
  if (el.clip) {
    el.clip.src = item.media_url;
    el.clip.load();
    el.hint.textContent = "Listen to the whole clip, then answer.";
  }
  if (el.image) {
    if (item.width && item.height) {
      el.image.width = item.width;
      el.image.height = item.height;
    } else {
      el.image.removeAttribute("width");
      el.image.removeAttribute("height");
    }
    el.image.src = item.media_url;
  }
  if (el.source) {
    // The source sentence keeps its own language and direction (RTL Urdu into Hindi, say).
    el.source.textContent = item.text;
    el.source.lang = item.source_language || source || "";
    el.source.dir = "auto";
  }
  el.contribution.textContent = contribution.text;
  el.flagged.hidden = !contribution.flagged;
  el.practiceNote.hidden = !contribution.practice;
  el.practiceResult.hidden = true;
  closeCorrection();
  el.progress.value = state.done;
  el.progressText.textContent = `Check ${state.done + 1} of ${sessionSize}`;
  setButtons();
  showStep(steps, el.checkStep);
  el.heading.focus();
}

async function next() {
  if (el.clip) el.clip.pause();
  state.queue.shift();
  await showNextOrStop();
}

function finish() {
  if (el.clip) el.clip.removeAttribute("src");
  byId("session-count").textContent = String(state.done);
  byId("session-corrected").textContent = String(state.corrected);
  showStep(steps, el.doneStep);
  byId("done-heading").focus();
}

// ---- answering ---------------------------------------------------------------------------

function setButtons() {
  const answerable = !state.busy && state.listened;
  el.accept.disabled = !answerable;
  el.change.disabled = !answerable;
  el.send.disabled = !answerable;
  el.confirm.disabled = !answerable;
  el.skip.disabled = state.busy;
  el.report.disabled = state.busy;
}

function openCorrection() {
  const contribution = state.queue[0];
  if (!contribution || el.change.disabled) return;
  if (!el.form.hidden) {
    el.correction.focus();
    return;
  }
  el.correction.value = contribution.text;
  clearRefusal();
  state.attempt = null;
  el.form.hidden = false;
  el.change.setAttribute("aria-expanded", "true");
  el.correction.focus();
  el.correction.setSelectionRange(el.correction.value.length, el.correction.value.length);
}

function closeCorrection() {
  el.form.hidden = true;
  el.change.setAttribute("aria-expanded", "false");
  clearRefusal();
  state.attempt = null;
}

function showRefusal(message, { confirmable = false } = {}) {
  showAlert(el.error, message);
  el.correction.setAttribute("aria-invalid", "true");
  el.confirmRow.hidden = !confirmable;
}

function clearRefusal() {
  showAlert(el.error, "");
  el.correction.removeAttribute("aria-invalid");
  el.confirmRow.hidden = true;
}

/** The correction's idempotency key: the last one's for the same text again, else fresh. */
function keyFor(text, confirmed) {
  const last = state.attempt;
  if (last && last.text === text && last.confirmed === confirmed) return last.key;
  state.attempt = { key: newIdempotencyKey(), text, confirmed };
  return state.attempt.key;
}

/** Send an answer: "accept", or "change" with the corrected text in the box. */
async function answer(verdict, { confirmed = false } = {}) {
  const contribution = state.queue[0];
  if (!contribution || !state.listened || state.busy) return;
  const body = { verdict };
  if (verdict === "change") {
    const text = el.correction.value;
    if (!text.trim()) {
      showRefusal("Type the corrected text, or answer Correct.");
      el.correction.focus();
      return;
    }
    if (text.trim() === contribution.text.trim()) {
      showRefusal("The text is unchanged. Correct what is wrong, or answer Correct.");
      el.correction.focus();
      return;
    }
    body.text = text;
    body.idempotency_key = keyFor(text, confirmed);
    if (confirmed) body.confirmed = true;
  }
  if (el.clip) el.clip.pause();
  state.busy = true;
  setButtons();
  showAlert(el.alert, "");
  try {
    const reply = await withRetries(
      () => api(`contributions/${contribution.id}/votes`, { method: "POST", json: body }),
      { onRetry: (_error, wait) => announce(el.status, `Connection problem. Trying again in ${wait} s…`) },
    );
    state.done += 1;
    if (verdict === "change") state.corrected += 1;
    if (reply?.practice) {
      await showPracticeAnswer(reply.practice);
    } else {
      announce(el.status, verdict === "accept" ? "Marked correct." : "Correction sent.");
    }
  } catch (error) {
    state.busy = false;
    setButtons();
    if (error.retryable) {
      showAlert(el.alert, `${error.message} Press your answer again to retry.`);
      return;
    }
    if (verdict === "change" && error.status === 422) {
      // The correction was refused as a text (wrong script, too short…): fix it in the box.
      state.attempt = null;
      showRefusal(error.message, { confirmable: error.code === "far_from_reference" });
      el.correction.focus();
      return;
    }
    if (error.code === "not_listened") {
      showAlert(el.alert, error.message);
      return;
    }
    // Already answered, your own, gone: nothing to fix here, so say why and move on.
    showAlert(el.alert, error.message);
  }
  state.busy = false;
  await next();
}

/** After a practice item: the expected answer, shown and announced, for a moment. */
async function showPracticeAnswer({ expected, agreed }) {
  const text =
    `Practice: the expected answer was ${VERDICT_WORDS[expected] ?? expected}. ` +
    (agreed ? "You agreed." : "Your answer was different.");
  el.practiceResult.textContent = text;
  el.practiceResult.hidden = false;
  announce(el.status, text);
  await new Promise((resolve) => setTimeout(resolve, PRACTICE_PAUSE_MS));
}

async function skip() {
  const contribution = state.queue[0];
  if (!contribution || state.busy) return;
  state.busy = true;
  setButtons();
  try {
    await withRetries(() => api(`contributions/${contribution.id}/skip`, { method: "POST" }));
    announce(el.status, "Skipped.");
  } catch (error) {
    showAlert(el.alert, error.message);
  }
  state.busy = false;
  await next();
}

function togglePlay() {
  if (!el.clip || el.checkStep.hidden || state.busy) return;
  if (el.clip.paused) {
    el.clip.play().catch(() => {}); // a failure is reported by the "error" event below
  } else {
    el.clip.pause();
  }
}

// ---- wiring ------------------------------------------------------------------------------

if (el.clip) {
  el.clip.addEventListener("ended", () => {
    if (state.listened) return;
    state.listened = true;
    el.hint.textContent = "Is the text exactly what the clip says?";
    setButtons();
    announce(el.status, "Finished playing. Is the text correct?");
  });
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

setUpScriptKeys(byId("correction-keys"), el.correction, el.correction.dataset.script, {
  onInsert: (name) => announce(el.status, `${name} inserted`),
});

el.accept.addEventListener("click", () => answer("accept"));
el.change.addEventListener("click", openCorrection);
el.form.addEventListener("submit", (event) => {
  event.preventDefault();
  answer("change");
});
el.confirm.addEventListener("click", () => answer("change", { confirmed: true }));
el.cancel.addEventListener("click", () => {
  closeCorrection();
  el.change.focus();
});
el.correction.addEventListener("input", () => {
  if (el.correction.getAttribute("aria-invalid")) clearRefusal();
});
el.correction.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && !event.repeat) {
    event.preventDefault();
    answer("change");
  } else if (event.key === "Escape") {
    event.preventDefault();
    closeCorrection();
    el.change.focus();
  }
});
el.skip.addEventListener("click", skip);
byId("again").addEventListener("click", beginSession);

setUpReportDialog(el.report, {
  target: "contribution",
  currentId: () => (state.queue.length ? state.queue[0].id : null),
  // A reported contribution is also skipped, so this person is not asked about it again.
  onReported: () => {
    announce(el.status, "Thank you, it was reported.");
    skip();
  },
});

document.addEventListener("keydown", (event) => {
  if (el.checkStep.hidden || !shortcutAllowed(event)) return;
  if (event.target === el.clip) return; // the player's own keys (Space, arrows) stay its own
  const key = event.key.toLowerCase();
  if (el.clip && (key === "p" || (key === " " && !keyActivatesTarget(event)))) {
    togglePlay();
  } else if (key === "y" || key === "1") {
    answer("accept");
  } else if (key === "n" || key === "2") {
    openCorrection();
  } else if (key === "s") {
    skip();
  } else {
    return;
  }
  event.preventDefault();
});

beginSession();
