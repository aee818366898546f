// What the two checking pages share: validate.js (recordings) and validate-text.js
// (transcriptions, translations, labels). On top of round.js: the session the server needs
// before handing out anything to check, sending a vote, the expected answer after a practice
// item, playing the clip, and the keys. `page` is as in round.js, with el.practiceResult.

import { showAchievements } from "./achievements.js";
import { api, withRetries } from "./api.js";
import { t } from "./i18n.js";
import { retryNotice, takeFresh } from "./round.js";
import { announce, keyActivatesTarget, shortcutAllowed, showAlert } from "./ui.js";

const PRACTICE_PAUSE_MS = 2500; // how long the expected answer of a practice item stays up

// What is handed out counts as handed to this browser only when it has a session (the server
// remembers when each was handed out, and takes a vote only once it could have been heard). The
// page view normally brought one, so the queue is asked for at once (one round trip, not two);
// when its answer says the request had none (the address was asked to wait), a session is
// made and the queue asked again, or every vote on it would be refused.

/** Fetch `path` (the queue) and add its `key` list's new entries; false when none came. */
export async function refillQueue(state, path, key) {
  let answer = await withRetries(() => api(path));
  if (answer.session === false) {
    await withRetries(() => api("session", { method: "POST" }));
    answer = await withRetries(() => api(path));
  }
  return takeFresh(state, answer[key]);
}

/**
 * Send the vote `body` to `path` for the item on screen, then move on with `next`. Once the
 * server took it, `onSent()` runs and a practice item's expected answer is shown (`words`:
 * verdict → a function giving its translated name), else `sent` (translated) is announced. A failure worth retrying keeps the item; so
 * does one that `keep(error)` handles (and returns true for); any other is said, then the
 * page moves on (already answered, your own, gone: nothing to fix here).
 */
export async function sendVote(page, path, body, { words, sent, next, onSent = () => {}, keep = () => false, ahead = false }) {
  if (ahead) return sendVoteAhead(page, path, body, { sent, next });
  const { state, el } = page;
  state.busy = true;
  page.setButtons();
  showAlert(el.alert, "");
  try {
    const reply = await withRetries(() => api(path, { method: "POST", json: body }), {
      onRetry: retryNotice(el.status),
    });
    state.done += 1;
    onSent();
    showAchievements(reply);
    if (reply?.practice) {
      await showPracticeAnswer(page, words, reply.practice);
    } else {
      announce(el.status, sent);
    }
  } catch (error) {
    state.busy = false;
    page.setButtons();
    if (error.retryable) {
      // Translators: {error} is the reason the answer did not arrive (a whole sentence).
      showAlert(el.alert, t("{error} Press your answer again to retry.", { error: error.message }));
      return;
    }
    if (keep(error)) return;
    showAlert(el.alert, error.message);
  }
  state.busy = false;
  await next();
}

// Votes sent ahead (see sendVoteAhead) and not answered yet.
const pending = new Set();

/**
 * The vote `body` for the item on screen, sent while the page moves on at once with `next`
 * (the next clip's audio was fetched ahead, so it plays without waiting for this answer's
 * round trip). Only for an item whose reply shows nothing before moving on (not practice).
 * Once the server took it, `sent` is announced and any new badge shown. If it could not be
 * sent (the network, after the retries), the item comes back right after the one on screen
 * and the alert says why; any other refusal is said, as sendVote does.
 */
async function sendVoteAhead(page, path, body, { sent, next }) {
  const { state, el } = page;
  const item = state.queue[0];
  state.done += 1;
  showAlert(el.alert, "");
  const sending = withRetries(() => api(path, { method: "POST", json: body }), {
    onRetry: retryNotice(el.status),
  })
    .then((reply) => {
      showAchievements(reply);
      announce(el.status, sent);
    })
    .catch((error) => {
      if (error.retryable) {
        state.done -= 1;
        state.queue.splice(Math.min(1, state.queue.length), 0, item);
      }
      showAlert(el.alert, error.message);
    })
    .finally(() => pending.delete(sending));
  pending.add(sending);
  await next();
}

/** Resolves once every vote sent ahead was answered (taken, refused or given back). */
export function votesSent() {
  return Promise.allSettled([...pending]);
}

/** After a practice item: the expected answer, shown and announced, for a moment. */
async function showPracticeAnswer(page, words, { expected, agreed }) {
  const answer = words[expected]?.() ?? expected;
  const text = agreed
    ? // Translators: after a practice check; {answer} is the name of an answer button ("Correct"…).
      t("Practice: the expected answer was {answer}. You agreed.", { answer })
    : // Translators: after a practice check; {answer} is the name of an answer button ("Correct"…).
      t("Practice: the expected answer was {answer}. Your answer was different.", { answer });
  page.el.practiceResult.textContent = text;
  page.el.practiceResult.hidden = false;
  announce(page.el.status, text);
  await new Promise((resolve) => setTimeout(resolve, PRACTICE_PAUSE_MS));
}

/** Play or pause `media`, while `step` is on screen and nothing is on its way. */
export function togglePlay(page, media, step) {
  if (!media || step.hidden || page.state.busy) return;
  if (media.paused) {
    media.play().catch(() => {}); // a failure is reported by the media's "error" event
  } else {
    media.pause();
  }
}

/**
 * The keys of a checking page while `step` is on screen: P or Space play (when `play` is
 * given), Y or 1 `accept`, N or 2 `reject`, S `skip`. Keys on `ownKeys` (a player with its own
 * Space and arrows) are left to it.
 */
export function setUpCheckKeys(step, { play, accept, reject, skip, ownKeys = null }) {
  document.addEventListener("keydown", (event) => {
    if (step.hidden || !shortcutAllowed(event)) return;
    if (ownKeys && event.target === ownKeys) return;
    const key = event.key.toLowerCase();
    if (play && (key === "p" || (key === " " && !keyActivatesTarget(event)))) {
      play();
    } else if (key === "y" || key === "1") {
      accept();
    } else if (key === "n" || key === "2") {
      reject();
    } else if (key === "s") {
      skip();
    } else {
      return;
    }
    event.preventDefault(); // Space would otherwise scroll the page
  });
}
