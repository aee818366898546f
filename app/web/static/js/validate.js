// Validate: a session of five checks. Each clip shows its sentence and plays its audio;
// Correct and Incorrect unlock only once the clip has been heard to the end. When the list
// runs out, more clips are fetched; when there are none, the page says so.
// A new validator's first clips are practice (`practice: true`, clips whose answer is known):
// they carry a "Practice" note, and after the vote the expected answer (from the vote's
// answer) is shown and announced for a moment before the next clip.

import { api, withRetries } from "./api.js";
import { setUpReportDialog } from "./report.js";
import { announce, byId, keyActivatesTarget, shortcutAllowed, showAlert, showStep } from "./ui.js";

const root = byId("validate");
const language = root.dataset.language;
const sessionSize = Number(root.dataset.sessionSize);
const PRACTICE_PAUSE_MS = 2500; // how long the expected answer of a practice clip stays up
const VERDICT_WORDS = { accept: "Correct", reject: "Incorrect" };

const el = {
  status: byId("status"),
  alert: byId("alert"),
  loading: byId("loading"),
  clipStep: byId("clip-step"),
  doneStep: byId("done-step"),
  emptyStep: byId("empty-step"),
  progress: byId("progress"),
  progressText: byId("progress-text"),
  sentence: byId("sentence"),
  audio: byId("audio"),
  play: byId("play"),
  playback: byId("playback"),
  hint: byId("listen-hint"),
  accept: byId("accept"),
  reject: byId("reject"),
  skip: byId("skip"),
  report: byId("report"),
  practiceNote: byId("practice-note"),
  practiceResult: byId("practice-result"),
};
const steps = [el.loading, el.clipStep, el.doneStep, el.emptyStep];

const state = {
  queue: [], // clips still to check; queue[0] is on screen
  seen: new Set(), // ids shown this session, so a refill never repeats one
  done: 0, // votes given this session
  listened: false, // the clip on screen has played to its end
  busy: false, // a vote or skip is on its way
};

// ---- clips -------------------------------------------------------------------------------

// Clips count as handed to this browser only when it has a session (the server remembers
// when each was handed out, and takes a vote only once the clip could have been heard). The
// page view normally brought one; if it did not (the address was asked to wait), ask before
// the first clips, or every vote on them would be refused.
let sessionChecked = false;

async function refill() {
  if (!sessionChecked) {
    await withRetries(() => api("session", { method: "POST" }));
    sessionChecked = true;
  }
  const answer = await withRetries(() => api(`languages/${language}/clips?count=${sessionSize}`));
  const fresh = answer.clips.filter((clip) => !state.seen.has(clip.id));
  for (const clip of fresh) state.seen.add(clip.id);
  state.queue.push(...fresh);
  return fresh.length > 0;
}

async function beginSession() {
  Object.assign(state, { queue: [], seen: new Set(), done: 0 });
  el.progress.max = sessionSize;
  showStep(steps, el.loading);
  showAlert(el.alert, "");
  await showNextOrStop();
}

/** Show queue[0], fetching more clips first if the queue is empty. */
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
      showAlert(el.alert, error.message);
      return;
    }
  }
  showClip(state.queue[0]);
}

function showClip(clip) {
  state.listened = false;
  el.sentence.textContent = clip.sentence;
  el.audio.src = clip.audio_url;
  el.audio.load();
  el.playback.value = 0;
  el.hint.textContent = "Listen to the whole recording, then answer.";
  el.practiceNote.hidden = !clip.practice;
  el.practiceResult.hidden = true;
  // Read with the sentence when it gets focus (a hidden note would be read too if named).
  el.sentence.setAttribute("aria-describedby", clip.practice ? "practice-note clip-heading" : "clip-heading");
  el.progress.value = state.done;
  el.progressText.textContent = `Recording ${state.done + 1} of ${sessionSize}`;
  setButtons();
  showStep(steps, el.clipStep);
  el.sentence.focus();
}

async function next() {
  el.audio.pause();
  state.queue.shift();
  await showNextOrStop();
}

async function finish() {
  el.audio.removeAttribute("src");
  byId("session-count").textContent = String(state.done);
  showStep(steps, el.doneStep);
  byId("done-heading").focus();
  try {
    const { totals } = await api("me");
    byId("total-validations").textContent = String(totals.validations);
  } catch (error) {
    showAlert(el.alert, error.message);
  }
}

// ---- listening ---------------------------------------------------------------------------

function setButtons() {
  el.accept.disabled = state.busy || !state.listened;
  el.reject.disabled = state.busy || !state.listened;
  el.play.disabled = state.busy;
  el.skip.disabled = state.busy;
  el.report.disabled = state.busy;
}

function togglePlay() {
  if (el.clipStep.hidden || state.busy) return;
  if (el.audio.paused) {
    el.audio.play().catch(() => {}); // a failure is reported by the "error" event below
  } else {
    el.audio.pause();
  }
}

el.audio.addEventListener("play", () => {
  el.play.textContent = "Pause";
});
el.audio.addEventListener("pause", () => {
  el.play.textContent = el.audio.ended || state.listened ? "Play again" : "Play";
});
el.audio.addEventListener("timeupdate", () => {
  // Recordings made by MediaRecorder often carry no duration (Infinity until played through),
  // so the server's measure is the denominator.
  const clip = state.queue[0];
  const total = Number.isFinite(el.audio.duration) ? el.audio.duration : (clip?.duration_ms || 1) / 1000;
  el.playback.value = Math.min(el.audio.currentTime / total, 1);
});
el.audio.addEventListener("ended", () => {
  state.listened = true;
  el.playback.value = 1;
  el.play.textContent = "Play again";
  el.hint.textContent = "Did it match the sentence exactly?";
  setButtons();
  announce(el.status, "Finished playing. Is it correct?");
});
el.audio.addEventListener("error", () => {
  if (!el.audio.getAttribute("src")) return; // cleared on purpose
  showAlert(el.alert, "This recording could not be loaded. Skip it, or reload the page to try again.");
});

// ---- answering ---------------------------------------------------------------------------

async function vote(verdict) {
  const clip = state.queue[0];
  if (!clip || !state.listened || state.busy) return;
  state.busy = true;
  setButtons();
  showAlert(el.alert, "");
  try {
    const answer = await withRetries(
      () => api(`recordings/${clip.id}/votes`, { method: "POST", json: { verdict } }),
      { onRetry: (_error, wait) => announce(el.status, `Connection problem. Trying again in ${wait} s…`) },
    );
    state.done += 1;
    if (answer?.practice) {
      await showPracticeAnswer(answer.practice);
    } else {
      announce(el.status, verdict === "accept" ? "Marked correct." : "Marked incorrect.");
    }
  } catch (error) {
    if (error.retryable) {
      state.busy = false;
      setButtons();
      showAlert(el.alert, `${error.message} Press your answer again to retry.`);
      return;
    }
    // Already voted, own recording, gone: nothing to fix here, so say why and move on.
    showAlert(el.alert, error.message);
  }
  state.busy = false;
  await next();
}

/** After a practice clip: the expected answer, shown and announced, for a moment. */
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
  const clip = state.queue[0];
  if (!clip || state.busy) return;
  state.busy = true;
  setButtons();
  try {
    await withRetries(() => api(`recordings/${clip.id}/skip`, { method: "POST" }));
    announce(el.status, "Skipped.");
  } catch (error) {
    showAlert(el.alert, error.message);
  }
  state.busy = false;
  await next();
}

// ---- wiring ------------------------------------------------------------------------------

el.play.addEventListener("click", togglePlay);
el.accept.addEventListener("click", () => vote("accept"));
el.reject.addEventListener("click", () => vote("reject"));
el.skip.addEventListener("click", skip);
byId("again").addEventListener("click", beginSession);

setUpReportDialog(el.report, {
  target: "recording",
  currentId: () => (state.queue.length ? state.queue[0].id : null),
  // A reported clip is also skipped, so this person is not asked about it again.
  onReported: () => {
    announce(el.status, "Thank you, the recording was reported.");
    skip();
  },
});

document.addEventListener("keydown", (event) => {
  if (el.clipStep.hidden || !shortcutAllowed(event)) return;
  const key = event.key.toLowerCase();
  if (key === "p" || (key === " " && !keyActivatesTarget(event))) {
    togglePlay();
  } else if (key === "y" || key === "1") {
    vote("accept");
  } else if (key === "n" || key === "2") {
    vote("reject");
  } else if (key === "s") {
    skip();
  } else {
    return;
  }
  event.preventDefault(); // Space would otherwise scroll the page
});

beginSession();
