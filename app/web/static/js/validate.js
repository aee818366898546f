// Validate: a session of five checks. Each clip shows its sentence and plays its audio;
// Correct and Incorrect unlock only once the clip has been heard to the end. When the list
// runs out, more clips are fetched; when there are none, the page says so.
// A new validator's first clips are practice (`practice: true`, clips whose answer is known):
// they carry a "Practice" note, and after the vote the expected answer (from the vote's
// answer) is shown and announced for a moment before the next clip.

import { api, withRetries } from "./api.js";
import { formatNumber, t } from "./i18n.js";
import { alertWhenUnloadable, beginRound, nextItem, setUpReport, showDone, showItemStep, skipItem } from "./round.js";
import { AudioPrefetch } from "./prefetch.js";
import { announce, byId, showAlert } from "./ui.js";
import { refillQueue, sendVote, setUpCheckKeys, togglePlay, votesSent } from "./validate-common.js";

const root = byId("validate");
const language = root.dataset.language;
const sessionSize = Number(root.dataset.sessionSize);
// The answers' names, as on their buttons (the practice result names the expected one).
const VERDICT_WORDS = { accept: () => t("Correct"), reject: () => t("Incorrect") };

const el = {
  status: byId("status"),
  alert: byId("alert"),
  loading: byId("loading"),
  clipStep: byId("clip-step"),
  doneStep: byId("done-step"),
  emptyStep: byId("empty-step"),
  emptyHeading: byId("empty-heading"),
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

const state = {
  queue: [], // clips still to check; queue[0] is on screen
  seen: new Set(), // ids shown this session, so a refill never repeats one
  done: 0, // votes given this session
  listened: false, // the clip on screen has played to its end
  busy: false, // a vote or skip is on its way
};

const page = {
  state,
  el,
  steps: [el.loading, el.clipStep, el.doneStep, el.emptyStep],
  sessionSize,
  media: el.audio,
  refill: () => refillQueue(state, `languages/${language}/clips?count=${sessionSize}`, "clips"),
  hasMore: async () => (await withRetries(() => api(`languages/${language}/clips?count=1`))).clips.length > 0,
  show: showClip,
  finish,
  setButtons,
};

// ---- clips -------------------------------------------------------------------------------

function beginSession() {
  return beginRound(page);
}

// The next two clips' audio, fetched once the one on screen plays; `playing`: the object URL
// the player holds (revoked when the next one comes).
const prefetch = new AudioPrefetch(2);
let playing = null;

function showClip() {
  const clip = state.queue[0];
  state.listened = false;
  el.sentence.textContent = clip.sentence;
  const previous = playing;
  playing = prefetch.take(clip.id);
  el.audio.src = playing || clip.audio_url;
  if (previous) URL.revokeObjectURL(previous);
  el.audio.load();
  el.playback.value = 0;
  el.hint.textContent = t("Listen to the whole recording, then answer.");
  el.practiceNote.hidden = !clip.practice;
  el.practiceResult.hidden = true;
  // Read with the sentence when it gets focus (a hidden note would be read too if named).
  el.sentence.setAttribute("aria-describedby", clip.practice ? "practice-note clip-heading" : "clip-heading");
  const progress = t("Recording {n} of {total}", { n: formatNumber(state.done + 1), total: formatNumber(sessionSize) });
  showItemStep(page, progress, el.clipStep, el.sentence);
}

async function finish() {
  // The round's last answers may still be on their way: its count and totals wait for them,
  // and a clip whose vote could not be sent comes back instead.
  await votesSent();
  if (state.done < sessionSize && state.queue.length > 0) {
    showClip();
    return;
  }
  prefetch.clear();
  showDone(page); // empties the player, so its object URL can go
  if (playing) URL.revokeObjectURL(playing);
  playing = null;
  try {
    const { totals } = await api("me");
    byId("total-validations").textContent = formatNumber(totals.validations);
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

function play() {
  togglePlay(page, el.audio, el.clipStep);
}

el.audio.addEventListener("play", () => {
  el.play.textContent = t("Pause");
  prefetch.keep(state.queue.slice(1));
});
el.audio.addEventListener("pause", () => {
  el.play.textContent = el.audio.ended || state.listened ? t("Play again") : t("Play");
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
  el.play.textContent = t("Play again");
  el.hint.textContent = t("Did it match the sentence exactly?");
  setButtons();
  announce(el.status, t("Finished playing. Is it correct?"));
});
alertWhenUnloadable(
  el.audio,
  el.alert,
  t("This recording could not be loaded. Skip it, or reload the page to try again."),
);

// ---- answering ---------------------------------------------------------------------------

async function vote(verdict) {
  const clip = state.queue[0];
  if (!clip || !state.listened || state.busy) return;
  await sendVote(page, `recordings/${clip.id}/votes`, { verdict }, {
    words: VERDICT_WORDS,
    sent: verdict === "accept" ? t("Marked correct.") : t("Marked incorrect."),
    next: () => nextItem(page),
    // The next clip at once, its vote on its way; a practice clip waits for its expected answer.
    ahead: !clip.practice,
  });
}

function skip() {
  return skipItem(page, (clip) => `recordings/${clip.id}/skip`);
}

// ---- wiring ------------------------------------------------------------------------------

el.play.addEventListener("click", play);
el.accept.addEventListener("click", () => vote("accept"));
el.reject.addEventListener("click", () => vote("reject"));
el.skip.addEventListener("click", skip);
byId("again").addEventListener("click", beginSession);

// A reported clip is also skipped, so this person is not asked about it again.
setUpReport(page, "recording", t("Thank you, the recording was reported."), skip);

setUpCheckKeys(el.clipStep, { play, accept: () => vote("accept"), reject: () => vote("reject"), skip });

beginSession();
