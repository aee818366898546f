// The contributor key page: reveal the key (text and QR code), copy it, replace it after a
// confirmation, and enter a key from another device. A /key#KEY link (the QR code's) fills the
// form in from its fragment, which never reaches the server, and waits for the volunteer to
// confirm; the fragment is then taken out of the address bar and the history.

import { api } from "./api.js";
import { t, tn } from "./i18n.js";
import { announce, byId, onSubmit, showAlert } from "./ui.js";

const reveal = byId("reveal");
const shown = byId("key-shown");
const keyText = byId("key-text");
const qr = byId("key-qr");
const input = byId("key-input");
const inputError = byId("key-input-error");
const status = byId("key-status");
const rotate = byId("rotate");
const rotateConfirm = byId("rotate-confirm");

/** Contributions and votes in a GET /me-shaped answer (every task's). */
function itemsOf(answer) {
  const totals = answer.totals || {};
  let items = (totals.recordings || 0) + (totals.validations || 0);
  for (const task of Object.values(answer.tasks || {})) items += task.answers || 0;
  return items;
}

function showKey(key) {
  keyText.textContent = key;
  // The QR code is fetched only now, when the volunteer asked to see the key.
  qr.src = `/api/v1/me/key.svg?t=${Date.now()}`;
  qr.hidden = false;
  shown.hidden = false;
  reveal.setAttribute("aria-expanded", "true");
  keyText.focus();
}

function hideKey() {
  keyText.textContent = "";
  qr.removeAttribute("src");
  qr.hidden = true;
  shown.hidden = true;
  reveal.setAttribute("aria-expanded", "false");
}

async function revealKey() {
  showAlert(byId("reveal-error"), "");
  try {
    const answer = await api("me/key");
    showKey(answer.key);
  } catch (error) {
    showAlert(byId("reveal-error"), error.message);
  }
}

async function copyKey() {
  try {
    await navigator.clipboard.writeText(keyText.textContent);
    announce(status, t("The key was copied."));
  } catch {
    // No clipboard (an insecure context, or refused): select it for the volunteer to copy.
    window.getSelection().selectAllChildren(keyText);
    announce(status, t("The key is selected: copy it with your device's copy command."));
  }
}

async function enterKey(event) {
  event.preventDefault();
  showAlert(inputError, "");
  input.removeAttribute("aria-invalid");
  if (!input.value.trim()) {
    showAlert(inputError, t("Please enter a key."));
    input.setAttribute("aria-invalid", "true");
    input.focus();
    return;
  }
  const button = byId("use-key");
  button.disabled = true;
  try {
    const answer = await api("session/key", { method: "POST", json: { key: input.value } });
    hideKey();
    input.value = "";
    byId("enter-link-note").hidden = true;
    byId("left-behind-note").hidden = true;
    const n = itemsOf(answer);
    const parts = [
      tn(
        "This browser now continues as the contributor of this key, who has {n} contribution or vote.",
        "This browser now continues as the contributor of this key, who has {n} contributions and votes.",
        n,
      ),
    ];
    const left = answer.left_behind;
    if (left) {
      const m = (left.contributions || 0) + (left.validations || 0);
      parts.push(
        tn(
          "The {n} contribution or vote made before in this browser stays with its previous anonymous contributor.",
          "The {n} contributions and votes made before in this browser stay with its previous anonymous contributor.",
          m,
        ),
      );
    }
    announce(byId("entered"), parts.join(" "));
  } catch (error) {
    if (error.code === "rate_limited") {
      showAlert(inputError, t("Too many keys were tried from here. Please wait a while and try again."));
    } else {
      showAlert(inputError, error.message);
    }
    input.setAttribute("aria-invalid", "true");
    input.focus();
  } finally {
    button.disabled = false;
  }
}

function askRotate() {
  const open = rotateConfirm.hidden;
  rotateConfirm.hidden = !open;
  rotate.setAttribute("aria-expanded", String(open));
  if (open) byId("rotate-yes").focus();
}

async function rotateKey() {
  showAlert(byId("rotate-error"), "");
  try {
    const answer = await api("me/key/rotate", { method: "POST" });
    rotateConfirm.hidden = true;
    rotate.setAttribute("aria-expanded", "false");
    showKey(answer.key);
    announce(status, t("A new key was made. Your other devices have lost access: enter the new key there."));
  } catch (error) {
    showAlert(byId("rotate-error"), error.message);
  }
}

/** A key in the address's fragment (from the QR code): into the form, then out of the URL. */
function keyFromLink() {
  const fragment = window.location.hash.slice(1);
  if (!fragment) return;
  let key = fragment;
  try {
    key = decodeURIComponent(fragment);
  } catch {
    // A malformed escape: keep it as it is; the server will say it is not a key.
  }
  input.value = key.slice(0, 200);
  history.replaceState(null, "", window.location.pathname + window.location.search);
  byId("enter-link-note").hidden = false;
  byId("use-key").focus();
}

/** Warn before a key replaces a session that has contributions of its own. */
async function warnIfThisBrowserHasWork() {
  try {
    const me = await api("me");
    byId("left-behind-note").hidden = itemsOf(me) === 0;
  } catch {
    // Not knowing only costs the warning; the answer to the key says it anyway.
  }
}

reveal.addEventListener("click", () => (shown.hidden ? revealKey() : hideKey()));
byId("hide").addEventListener("click", () => {
  hideKey();
  reveal.focus();
});
byId("copy").addEventListener("click", copyKey);
onSubmit(byId("enter-form"), enterKey);
rotate.addEventListener("click", askRotate);
byId("rotate-yes").addEventListener("click", rotateKey);
byId("rotate-no").addEventListener("click", () => {
  rotateConfirm.hidden = true;
  rotate.setAttribute("aria-expanded", "false");
  rotate.focus();
});
keyFromLink();
warnIfThisBrowserHasWork();
