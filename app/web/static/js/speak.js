// Speak: an optional profile step, then a session of five sentences, each recorded, played
// back, re-recorded if wanted and submitted; then a thank-you with this session's count and
// the person's totals. The page's text lives in speak.html; this file only switches it.

import { showAchievements } from "./achievements.js";
import { api, newIdempotencyKey, withRetries } from "./api.js";
import { formatNumber, t } from "./i18n.js";
import { LevelMeter } from "./level-meter.js";
import { fileNameFor, MicrophoneError, Recorder } from "./recorder.js";
import { initProfileForm, markProfileStepDone, profileStepDone } from "./profile.js";
import {
  beginRound,
  nextItem,
  retryNotice,
  setUpReport,
  showDone,
  showItemStep,
  skipItem,
  takeFresh,
} from "./round.js";
import { checkTake } from "./take-check.js";
import {
  queueTake,
  refusedForGood,
  sendOwnTake,
  sentencesFor,
  showUploadQueue,
  takeDone,
  takeWaits,
} from "./upload-queue.js";
import { announce, byId, clock, keyActivatesTarget, seconds, shortcutAllowed, showAlert, showStep } from "./ui.js";

const root = byId("speak");
const language = root.dataset.language;
const sessionSize = Number(root.dataset.sessionSize);
const maxMs = Number(root.dataset.maxSeconds) * 1000;

const el = {
  status: byId("status"),
  alert: byId("alert"),
  loading: byId("loading"),
  profileStep: byId("profile-step"),
  recordStep: byId("record-step"),
  doneStep: byId("done-step"),
  emptyStep: byId("exhausted-step"),
  emptyHeading: byId("exhausted-heading"),
  progress: byId("progress"),
  progressText: byId("progress-text"),
  sentence: byId("sentence"),
  record: byId("record"),
  timer: byId("timer"),
  play: byId("play"),
  submit: byId("submit"),
  submitAnyway: byId("submit-anyway"),
  skip: byId("skip"),
  report: byId("report"),
};
const steps = [el.loading, el.profileStep, el.recordStep, el.doneStep, el.emptyStep];

const state = {
  queue: [], // sentences still to show; queue[0] is on screen
  seen: new Set(), // ids shown this session, so a refill never repeats one
  done: 0, // recordings accepted by the server this session
  durationMs: 0, // their total length, as the server measured it
  take: null, // {blob, url, key, check, flag}: the current recording; key is reused when retrying it
  busy: false, // an upload or skip is on its way
  starting: false, // waiting for the microphone
};

const page = {
  state,
  el,
  steps,
  sessionSize,
  refill: () => refill(sessionSize - state.done),
  hasMore: async () => {
    const sentences = await sentencesAhead();
    if (!sentences) throw new Error("unknown"); // could not ask: round.js offers another round
    return sentences.length > 0;
  },
  show: showSentence,
  finish,
  setButtons,
};

const recorder = new Recorder({
  maxMs,
  onTick: (ms) => {
    el.timer.textContent = `${clock(ms)} / ${clock(maxMs)}`;
  },
  onAutoStop: () => stopRecording(true),
  onStream: (stream) => meter.listen(stream),
});
const meter = new LevelMeter(byId("level"), byId("level-hint"));
const player = new Audio();

// ---- sentences ---------------------------------------------------------------------------

/** Add up to `count` unseen sentences to the queue (the batch fetched ahead first, if it
 * brings any); false when the language has none left. */
async function refill(count) {
  const early = ahead && (await sentencesAhead());
  ahead = null;
  if (early && takeFresh(state, early)) return true;
  // Offline, the last batch (less the sentences waiting in the upload queue) is used.
  const sentences = await sentencesFor(language, () =>
    withRetries(() => api(`languages/${language}/sentences?count=${count}`)),
  );
  return takeFresh(state, sentences);
}

// The next batch, fetched while the last sentence of the queue is on screen (issue #21), so the
// next round (or a refill after skips) starts without waiting: a promise of the sentences
// not shown this round (null if they could not be fetched). One more than a round, as the one
// on screen may come back.
let ahead = null;

function sentencesAhead() {
  ahead ??= withRetries(() => api(`languages/${language}/sentences?count=${sessionSize + 1}`))
    .then((answer) => answer.sentences.filter((sentence) => !state.seen.has(sentence.id)))
    .catch(() => null);
  return ahead;
}

function beginSession() {
  return beginRound(page, { durationMs: 0 });
}

function showSentence() {
  const sentence = state.queue[0];
  if (state.queue.length === 1 || state.done === sessionSize - 1) sentencesAhead();
  discardTake();
  el.sentence.textContent = sentence.text;
  // Focus the new sentence so screen readers read it and the page scrolls to it.
  const progress = t("Sentence {n} of {total}", { n: formatNumber(state.done + 1), total: formatNumber(sessionSize) });
  showItemStep(page, progress, el.recordStep, el.sentence);
}

async function finish() {
  discardTake();
  byId("session-seconds").textContent = seconds(state.durationMs);
  showDone(page);
  try {
    const { totals } = await api("me");
    byId("total-recordings").textContent = formatNumber(totals.recordings);
    byId("total-seconds").textContent = seconds(totals.seconds_recorded * 1000);
    byId("total-accepted").textContent = formatNumber(totals.accepted);
    byId("total-pending").textContent = formatNumber(totals.pending);
  } catch (error) {
    showAlert(el.alert, error.message);
  }
}

// ---- recording ---------------------------------------------------------------------------

function setButtons() {
  const recording = recorder.recording;
  el.record.textContent = recording ? t("Stop") : state.take ? t("Re-record") : t("Record");
  el.record.classList.toggle("recording", recording);
  el.record.disabled = state.busy;
  el.play.disabled = state.busy || recording || !state.take;
  el.submit.disabled = state.busy || recording || !state.take;
  // Touch first: Submit is the big button once there is a take, unless the take was flagged.
  const flagged = Boolean(state.take?.flag);
  el.submit.hidden = !state.take || flagged;
  el.submitAnyway.hidden = !flagged;
  el.submitAnyway.disabled = el.submit.disabled;
  el.play.hidden = !state.take;
  el.record.classList.toggle("primary", !state.take || flagged);
  el.skip.disabled = state.busy;
  el.report.disabled = state.busy;
  el.timer.classList.toggle("active", recording);
}

function discardTake() {
  recorder.cancel();
  player.pause();
  if (state.take) URL.revokeObjectURL(state.take.url);
  state.take = null;
  el.timer.textContent = `${clock(0)} / ${clock(maxMs)}`;
}

async function startRecording() {
  if (state.starting) return; // the microphone prompt is still open
  discardTake();
  showAlert(el.alert, "");
  state.starting = true;
  try {
    await recorder.start();
  } catch (error) {
    if (!(error instanceof MicrophoneError)) throw error;
    showMicProblem(error.kind);
    return;
  } finally {
    state.starting = false;
  }
  setButtons();
  announce(el.status, t("Recording. Read the sentence aloud, then press Stop."));
}

async function stopRecording(automatic = false) {
  if (!recorder.recording) return;
  const { blob } = await recorder.stop();
  if (blob.size === 0) {
    showAlert(el.alert, t("Nothing was recorded. Please try again."));
  } else {
    // One key per take: a retried upload of this take is recognised, a new take is new.
    state.take = { blob, url: URL.createObjectURL(blob), key: newIdempotencyKey(), flag: null };
    state.take.check = checkTake(blob);
    flagIfRefused(state.take);
    player.src = state.take.url;
    const time = clock(maxMs);
    announce(
      el.status,
      automatic
        ? // Translators: {time} is the longest a recording may be, as minutes:seconds ("0:10").
          t("Recording stopped at {time}, the longest a recording may be. Play it back or submit it.", { time })
        : t("Recorded. Play it back, record it again, or submit it."),
    );
  }
  setButtons();
}

/**
 * Whether `take` passes the page's own version of the server's check; when not, the volunteer
 * is told why, in the server's words, and offered "Submit anyway" (take-check.js).
 */
async function flagIfRefused(take) {
  const problem = await take.check;
  if (problem && take === state.take && !take.flag) {
    const hadFocus = document.activeElement === el.submit;
    take.flag = problem;
    setButtons();
    if (hadFocus) el.record.focus(); // Submit is hidden now
    // Translators: {problem} is why the recording would be refused (a whole sentence).
    const text = t("{problem} If you think this is a mistake, press Submit anyway.", { problem: problem.message });
    showAlert(el.alert, text);
  }
  return !problem;
}

function toggleRecording() {
  if (recorder.recording) {
    stopRecording();
  } else {
    startRecording();
  }
}

function showMicProblem(kind) {
  const message = byId(`mic-${kind}`).textContent.replace(/\s+/g, " ").trim();
  showAlert(el.alert, message);
  setButtons();
}

function togglePlay() {
  if (!state.take || recorder.recording) return;
  if (player.paused) {
    player.currentTime = 0;
    player.play().catch(() => showAlert(el.alert, t("This browser could not play the recording.")));
  } else {
    player.pause();
  }
}
player.addEventListener("play", () => {
  el.play.textContent = t("Pause");
});
for (const event of ["pause", "ended", "emptied"]) {
  player.addEventListener(event, () => {
    el.play.textContent = t("Play");
  });
}

// ---- sending -----------------------------------------------------------------------------

async function submit(confirmed = false) {
  const take = state.take;
  if (!take || state.busy || recorder.recording) return;
  // A take flagged by the page's check is sent only by "Submit anyway".
  if (!confirmed && !(await flagIfRefused(take))) return;
  if (take !== state.take || state.busy) return;
  player.pause();
  state.busy = true;
  setButtons();
  showAlert(el.alert, "");
  announce(el.status, t("Sending your recording…"));

  const form = new FormData();
  form.append("audio", take.blob, fileNameFor(take.blob.type));
  form.append("item_id", String(state.queue[0].id));
  form.append("idempotency_key", take.key);
  // Kept on the device before the upload starts, until the server has it (upload-queue.js).
  const sentence = state.queue[0];
  const queued = {
    key: take.key,
    itemId: sentence.id,
    language,
    text: sentence.text,
    blob: take.blob,
    fileName: fileNameFor(take.blob.type),
  };
  const kept = await queueTake(queued);
  try {
    const answer = await sendOwnTake(() =>
      withRetries(() => api("recordings", { method: "POST", form }), {
        attempts: navigator.onLine === false ? 1 : 4,
        onRetry: retryNotice(el.status),
      }),
    );
    await takeDone(queued);
    state.done += 1;
    state.durationMs += answer.recording.duration_ms || 0;
    showAchievements(answer);
    announce(
      el.status,
      t("Saved. {n} of {total} recorded.", { n: formatNumber(state.done), total: formatNumber(sessionSize) }),
    );
    state.busy = false;
    await nextItem(page);
  } catch (error) {
    state.busy = false;
    el.status.textContent = ""; // "Sending…" is over; the alert says what happened
    if (kept && !refusedForGood(error)) {
      // No answer (or a passing problem): the queue sends it when the network is back.
      takeWaits(queued);
      state.done += 1;
      discardTake();
      announce(el.status, t("Saved on this device. It will be uploaded when the connection is back."));
      await nextItem(page);
      return;
    }
    await takeDone(queued);
    if (error.retryable) {
      // Keep the take and its key: pressing Submit again cannot create a second recording.
      // Translators: {error} is the reason the recording did not arrive (a whole sentence).
      showAlert(el.alert, t("{error} Your recording is kept: press Submit to try again.", { error: error.message }));
    } else if (error.code === "already_recorded" || error.code === "unknown_item") {
      showAlert(el.alert, error.message);
      await nextItem(page);
      return;
    } else {
      // The server refused the audio (too short, silent…): its message says what to change.
      discardTake();
      // Translators: {error} is why the server refused the recording (a whole sentence).
      showAlert(el.alert, t("{error} Please record the sentence again.", { error: error.message }));
      el.record.focus();
    }
    setButtons();
  }
}

function skip() {
  return skipItem(page, (sentence) => `sentences/${sentence.id}/skip`, { stayOnFailure: true, before: discardTake });
}

// ---- wiring ------------------------------------------------------------------------------

el.record.addEventListener("click", toggleRecording);
el.play.addEventListener("click", togglePlay);
el.submit.addEventListener("click", () => submit());
el.submitAnyway.addEventListener("click", () => submit(true));
el.skip.addEventListener("click", skip);
byId("again").addEventListener("click", beginSession);

showUploadQueue({
  waiting: byId("upload-waiting"),
  failed: byId("upload-failed"),
  failedList: byId("upload-failed-list"),
  unsent: () => state.take !== null || recorder.recording,
});

// A reported sentence is also skipped, so this person is not shown it again.
setUpReport(page, "sentence", t("Thank you, the sentence was reported."), skip);

document.addEventListener("keydown", (event) => {
  if (el.recordStep.hidden || !shortcutAllowed(event)) return;
  const key = event.key.toLowerCase();
  if (key === "r") {
    if (!el.record.disabled) toggleRecording();
  } else if (key === "p") {
    togglePlay();
  } else if (key === "s" || (key === "enter" && !keyActivatesTarget(event))) {
    submit();
  } else {
    return;
  }
  event.preventDefault();
});

const profileForm = byId("profile-form");
byId("profile-skip").addEventListener("click", () => {
  markProfileStepDone("skipped");
  beginSession();
});

if (profileStepDone()) {
  beginSession();
} else {
  showStep(steps, el.profileStep);
  initProfileForm(profileForm, { onSaved: beginSession });
}
