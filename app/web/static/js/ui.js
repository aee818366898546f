// Small page helpers shared by the contributor pages: finding elements, switching steps,
// live-region messages and the rules for when a keyboard shortcut may fire.

import { formatNumber } from "./i18n.js";
import "./keyboard-hints.js"; // shortcut hints only once a keyboard was used

/** The element with this id; throws early (and clearly) when a template lost it. */
export function byId(id) {
  const element = document.getElementById(id);
  if (!element) throw new Error(`missing element #${id}`);
  return element;
}

/** Show `visible` and hide the other steps of a page. */
export function showStep(steps, visible) {
  for (const step of steps) step.hidden = step !== visible;
}

/** Put a message in a polite live region (cleared first so a repeated text is read again). */
export function announce(region, text) {
  region.textContent = "";
  // A new frame makes screen readers notice the change even when the text is the same.
  requestAnimationFrame(() => {
    region.textContent = text;
  });
}

/**
 * Handle a form's submissions, and enable its submit buttons marked `data-needs-script`
 * (rendered disabled: a form sent before its script ran would go to the page's own address by
 * GET, the typed text (a contributor key, even) in the URL, and reload the page).
 */
export function onSubmit(form, handler) {
  form.addEventListener("submit", handler);
  for (const button of form.querySelectorAll("[data-needs-script]")) button.disabled = false;
}

/** Show a problem in an alert region, or hide the region when `text` is empty. */
export function showAlert(region, text) {
  region.textContent = text || "";
  region.hidden = !text;
}

const TYPING = new Set(["INPUT", "TEXTAREA", "SELECT"]);
const ACTIVATES_ON_KEY = new Set(["BUTTON", "A", "SUMMARY"]);

/**
 * Whether a page shortcut may handle this keydown: not while typing in a field, not while a
 * dialog is open, not with Ctrl/Alt/Meta (browser shortcuts), not on key repeat.
 */
export function shortcutAllowed(event) {
  if (event.defaultPrevented || event.repeat) return false;
  if (event.ctrlKey || event.altKey || event.metaKey) return false;
  const target = event.target;
  if (target instanceof HTMLElement && (TYPING.has(target.tagName) || target.isContentEditable)) {
    return false;
  }
  return !document.querySelector("dialog[open]");
}

/**
 * Enter and Space already activate a focused button or link; a shortcut on those keys must
 * leave them alone, or one key press would do two things.
 */
export function keyActivatesTarget(event) {
  return event.target instanceof HTMLElement && ACTIVATES_ON_KEY.has(event.target.tagName);
}

/** "0:07" for 7,400 ms. */
export function clock(ms) {
  const seconds = Math.floor(ms / 1000);
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
}

/** "1.8" for 1,800 ms (one decimal, the page's locale). */
export function seconds(ms) {
  return formatNumber(ms / 1000, { maximumFractionDigits: 1 });
}
