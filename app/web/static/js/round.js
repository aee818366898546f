// What the contributor pages' rounds share (speak, validate, and the text tasks' contribute and
// checking pages): a queue of items fetched a few at a time, one on screen, then the next one
// until the round is done or nothing is left; skipping and reporting the one on screen.
//
// Each page passes itself in as `page`:
//   state        {queue, seen, done, busy, …}: queue[0] is on screen, seen the ids shown this round
//   el           {status, alert, loading, progress, progressText, doneStep, report, emptyStep,
//                emptyHeading, closedStep (pages of a task that may be closed)}
//   steps        the page's steps, one shown at a time
//   sessionSize  items a round
//   media        the page's <audio> (optional): paused when moving on, emptied at the end
//   refill()     fetch more items into the queue; false when none came
//   show()       put queue[0] on screen
//   finish()     the round is over
//   setButtons() enable what may be pressed now
//   hasMore()    (optional) whether another round would find items: when false, the done
//                step's "… 5 more" button (#again) is hidden

import { showWeekAfterRound } from "./achievements.js";
import { api, withRetries } from "./api.js";
import { formatNumber, t } from "./i18n.js";
import { setUpReportDialog } from "./report.js";
import { announce, byId, showAlert, showStep } from "./ui.js";

// Errors of a task (or language) that is not open: the page says so in its own step.
const CLOSED = new Set(["task_closed", "unknown_task", "unknown_language"]);

/** Add the items not yet seen this round to the queue; false when none is new. */
export function takeFresh(state, items) {
  const fresh = items.filter((item) => !state.seen.has(item.id));
  for (const item of fresh) state.seen.add(item.id);
  state.queue.push(...fresh);
  return fresh.length > 0;
}

/** withRetries' `onRetry` for a send: the polite region says it is being tried again. */
export function retryNotice(status) {
  return (_error, wait) =>
    // Translators: said while a send is retried; {seconds} is a number of seconds.
    announce(status, t("Connection problem. Trying again in {seconds} s…", { seconds: formatNumber(wait) }));
}

/** Start a round: the state emptied (and `reset` on top), then the first item. */
export async function beginRound(page, reset = {}) {
  Object.assign(page.state, { queue: [], seen: new Set(), done: 0 }, reset);
  page.el.progress.max = page.sessionSize;
  showStep(page.steps, page.el.loading);
  showAlert(page.el.alert, "");
  await showNextOrStop(page);
}

/** Show queue[0], fetching more items first if the queue is empty; or end the round. */
async function showNextOrStop(page) {
  const { state } = page;
  if (state.done >= page.sessionSize) {
    page.finish();
    return;
  }
  if (state.queue.length === 0) {
    showStep(page.steps, page.el.loading);
    try {
      if (!(await page.refill())) {
        finishWhenNothingLeft(page);
        return;
      }
    } catch (error) {
      stopWith(page, error);
      return;
    }
  }
  page.show();
}

/** Leave the item on screen (done, skipped or reported) and show the next one. */
export async function nextItem(page) {
  if (page.media) page.media.pause();
  page.state.queue.shift();
  page.state.moved = true; // something was done or skipped on this page (kept across rounds)
  await showNextOrStop(page);
}

/**
 * Nothing more to show: the round's end when something was done, else the empty step. Its
 * paragraphs marked data-if-worked="true"/"false" show when this person did (or did not) work
 * on this language: on this page, or before it (data-worked on an ancestor, from the server).
 */
function finishWhenNothingLeft(page) {
  if (page.state.done > 0) {
    page.finish();
  } else {
    const before = page.el.emptyStep.closest("[data-worked]")?.dataset.worked === "true";
    const worked = String(Boolean(page.state.moved || before));
    for (const part of page.el.emptyStep.querySelectorAll("[data-if-worked]")) {
      part.hidden = part.dataset.ifWorked !== worked;
    }
    showStep(page.steps, page.el.emptyStep);
    page.el.emptyHeading.focus();
  }
}

/** A failure to fetch items: a closed task gets its own step (on its pages); else the alert. */
export function stopWith(page, error) {
  if (page.el.closedStep && CLOSED.has(error.code)) {
    byId("closed-reason").textContent = error.message;
    showStep(page.steps, page.el.closedStep);
    byId("closed-heading").focus();
  } else {
    showAlert(page.el.alert, error.message);
  }
}

/** Whether this error says the task (or language) is not open. */
export function isClosed(error) {
  return CLOSED.has(error.code);
}

/** Put the item's step on screen with the round's progress (`progress`: "Clip 2 of 5", translated); focus `focus`. */
export function showItemStep(page, progress, step, focus) {
  page.el.progress.value = page.state.done;
  page.el.progressText.textContent = progress;
  page.setButtons();
  showStep(page.steps, step);
  focus.focus();
}

/** The round's end: this round's count, the done step, this week's goals and streak. */
export function showDone(page) {
  if (page.media) page.media.removeAttribute("src");
  byId("session-count").textContent = formatNumber(page.state.done);
  showStep(page.steps, page.el.doneStep);
  byId("done-heading").focus();
  showWeekAfterRound(page.el.doneStep);
  offerAnotherRound(page);
}

/** The done step's "… 5 more" (#again) only when another round would find something. */
async function offerAnotherRound(page) {
  const again = byId("again");
  if (!again || !page.hasMore) return;
  again.hidden = true; // not offered before it is known to lead somewhere
  try {
    again.hidden = !(await page.hasMore());
  } catch {
    again.hidden = false; // unknown (offline…): offered; a round that finds nothing says so
  }
}

/**
 * Skip the item on screen: POST `path(item)`, say so, and show the next one. When the skip
 * fails, `stayOnFailure` keeps the item on screen (to be done or skipped again); otherwise the
 * page moves on anyway. `before` runs first, once the skip is sure to be sent.
 */
export async function skipItem(page, path, { stayOnFailure = false, before = () => {} } = {}) {
  const { state } = page;
  const item = state.queue[0];
  if (!item || state.busy) return;
  before();
  state.busy = true;
  page.setButtons();
  try {
    await withRetries(() => api(path(item), { method: "POST" }));
    announce(page.el.status, t("Skipped."));
  } catch (error) {
    state.busy = false;
    showAlert(page.el.alert, error.message);
    if (stayOnFailure) {
      page.setButtons();
      return;
    }
  }
  state.busy = false;
  await nextItem(page);
}

/**
 * The Report button: the dialog (report.js) reports the item on screen as `target`; once the
 * report is taken, `thanks` (translated) is announced and the item skipped, so it is not shown again.
 */
export function setUpReport(page, target, thanks, skip) {
  setUpReportDialog(page.el.report, {
    target,
    currentId: () => (page.state.queue.length ? page.state.queue[0].id : null),
    onReported: () => {
      announce(page.el.status, thanks);
      skip();
    },
  });
}

/** Say `message` (translated) in the alert when a clip, image or recording cannot be loaded. */
export function alertWhenUnloadable(media, alert, message) {
  media.addEventListener("error", () => {
    if (!media.getAttribute("src")) return; // cleared on purpose
    showAlert(alert, message);
  });
}
