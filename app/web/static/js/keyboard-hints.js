// Keyboard shortcut hints (the pages' .shortcuts lines) are for people with a keyboard: they
// stay hidden on touch screens and for pointer-only use, and appear once a key was pressed
// (issue #21). The finding lasts for the tab's session, so the next page shows them at once.

const KEY = "crowdsource.keyboard-used";
// What soft keyboards send while composing text: not a sign of a hardware keyboard.
const NOT_A_KEYBOARD = new Set(["Unidentified", "Process", "Dead"]);

function showHints() {
  document.documentElement.classList.add("keyboard-used");
}

function remembered() {
  try {
    return sessionStorage.getItem(KEY) === "1";
  } catch {
    return false; // storage blocked: ask again on each page
  }
}

if (remembered()) {
  showHints();
} else {
  document.addEventListener(
    "keydown",
    function onKey(event) {
      if (event.isComposing || event.keyCode === 229 || NOT_A_KEYBOARD.has(event.key)) return;
      document.removeEventListener("keydown", onKey, true);
      showHints();
      try {
        sessionStorage.setItem(KEY, "1");
      } catch {
        // storage blocked: the hints show on this page only
      }
    },
    true,
  );
}
