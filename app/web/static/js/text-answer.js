// The text box of the text tasks (the text_answer macro of _text_answer.html), on the contribute
// pages (text-task.js, prefix "answer") and the checking pages' correction (validate-text.js,
// prefix "correction"): the script's helper keys, a refusal shown next to the box in the server's
// words ("far_from_reference" may be sent anyway, `confirmed`), and the idempotency key of a send.

import { newIdempotencyKey } from "./api.js";
import { t } from "./i18n.js";
import { setUpScriptKeys } from "./script-keys.js";
import { announce, byId, showAlert } from "./ui.js";

export class TextAnswer {
  /** The box with id `prefix` and its parts; insertions are announced in `status`. */
  constructor(prefix, status) {
    this.box = byId(prefix);
    this.error = byId(`${prefix}-error`);
    this.confirmRow = byId(`${prefix}-confirm-row`);
    this.confirm = byId(`${prefix}-confirm`);
    this.attempt = null; // {key, text, confirmed}: the last send; its key is reused only to retry it
    setUpScriptKeys(byId(`${prefix}-keys`), this.box, this.box.dataset.script, {
      // Translators: said when a helper key typed its character; {name} is the character's name.
      onInsert: (name) => announce(status, t("{name} inserted", { name })),
    });
    // Once the text changes, a refusal (or a "far from the reference" question) is about a text
    // no longer there.
    this.box.addEventListener("input", () => {
      if (!this.confirmRow.hidden || this.box.getAttribute("aria-invalid")) this.clearRefusal();
    });
  }

  /**
   * Send from the box with `send(confirmed)`: the form's submit and Ctrl+Enter in the box send
   * it, "Submit anyway" sends it confirmed; Escape in the box calls `escape`, when given.
   */
  wire(form, send, escape = null) {
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      send(false);
    });
    this.confirm.addEventListener("click", () => send(true));
    this.box.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && !event.repeat) {
        event.preventDefault();
        send(false);
      } else if (escape && event.key === "Escape") {
        event.preventDefault();
        escape();
      }
    });
  }

  /** Say next to the box why the text is refused, and go to the box. */
  refuse(message, { confirmable = false } = {}) {
    showAlert(this.error, message);
    this.box.setAttribute("aria-invalid", "true");
    this.confirmRow.hidden = !confirmable;
    this.box.focus();
  }

  /**
   * The server refused the text (422: wrong script, too short, far from the reference…): its
   * message says what to change, next to the box. A changed text is a new attempt with a new key.
   */
  refusedBy(error) {
    this.attempt = null;
    this.refuse(error.message, { confirmable: error.code === "far_from_reference" });
  }

  clearRefusal() {
    showAlert(this.error, "");
    this.box.removeAttribute("aria-invalid");
    this.confirmRow.hidden = true;
  }

  /** A new text to come: no refusal, and the next send gets a fresh key. */
  reset() {
    this.clearRefusal();
    this.attempt = null;
  }

  /**
   * The idempotency key of this send: the last one's when it is the same text sent again (a
   * retry after a lost answer must not make a second contribution), a fresh one otherwise.
   */
  keyFor(text, confirmed) {
    const last = this.attempt;
    if (last && last.text === text && last.confirmed === confirmed) return last.key;
    this.attempt = { key: newIdempotencyKey(), text, confirmed };
    return this.attempt.key;
  }
}
