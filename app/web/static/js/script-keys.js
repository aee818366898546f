// The on-screen helper keys of the text tasks: not a keyboard (the volunteer's own input
// method is the norm), only the characters hardest to type in a script, one tap each,
// inserted at the caret of the text box. Keyed by ISO 15924 script code (languages.script).
//
// Each key: [character, label shown on the key, name read by screen readers]. Combining marks
// are shown on a dotted circle (U+25CC) so they are visible on their own.

import { t } from "./i18n.js";

// Translators: the name of an invisible character, read by screen readers on its helper key.
const ZWJ = ["\u200D", "ZWJ", t("zero-width joiner")];
// Translators: the name of an invisible character, read by screen readers on its helper key.
const ZWNJ = ["\u200C", "ZWNJ", t("zero-width non-joiner")];
// Translators: the name of a punctuation mark, read by screen readers on its helper key.
const DANDA = ["\u0964", "\u0964", t("danda (full stop)")];
const mark = (character, name) => [character, `\u25CC${character}`, name];

export const SCRIPT_KEYS = {
  Deva: [
    // Translators: the names of characters, read by screen readers on the helper keys.
    mark("\u093C", t("nukta")),
    mark("\u094D", t("virama (halant)")),
    mark("\u0901", t("chandrabindu")),
    mark("\u0902", t("anusvara")),
    mark("\u0903", t("visarga")),
    ["\u093D", "\u093D", t("avagraha")],
    DANDA,
    ["\u0965", "\u0965", t("double danda")],
    ZWJ,
    ZWNJ,
  ],
  Beng: [
    mark("\u09CD", t("virama (hasanta)")),
    mark("\u09BC", t("nukta")),
    mark("\u0981", t("candrabindu")),
    mark("\u0982", t("anusvara")),
    mark("\u0983", t("visarga")),
    ["\u09CE", "\u09CE", t("khanda ta")],
    DANDA,
    ZWJ,
    ZWNJ,
  ],
  Guru: [
    mark("\u0A4D", t("virama (halant)")),
    mark("\u0A3C", t("nukta (pair bindi)")),
    mark("\u0A02", t("bindi")),
    mark("\u0A70", t("tippi")),
    mark("\u0A71", t("addak")),
    DANDA,
    ZWJ,
    ZWNJ,
  ],
  Gujr: [
    mark("\u0ACD", t("virama (halant)")),
    mark("\u0ABC", t("nukta")),
    mark("\u0A81", t("candrabindu")),
    mark("\u0A82", t("anusvara")),
    mark("\u0A83", t("visarga")),
    ZWJ,
    ZWNJ,
  ],
  Orya: [
    mark("\u0B4D", t("virama (halanta)")),
    mark("\u0B3C", t("nukta")),
    mark("\u0B01", t("candrabindu")),
    mark("\u0B02", t("anusvara")),
    mark("\u0B03", t("visarga")),
    DANDA,
    ZWJ,
    ZWNJ,
  ],
  Taml: [
    mark("\u0BCD", t("virama (pulli)")),
    ["\u0B83", "\u0B83", t("aytham")],
    mark("\u0B82", t("anusvara")),
    ZWJ,
    ZWNJ,
  ],
  Telu: [
    mark("\u0C4D", t("virama (pollu)")),
    mark("\u0C01", t("candrabindu (arasunna)")),
    mark("\u0C02", t("anusvara (sunna)")),
    mark("\u0C03", t("visarga")),
    ZWJ,
    ZWNJ,
  ],
  Knda: [
    mark("\u0CCD", t("virama (halant)")),
    mark("\u0CBC", t("nukta")),
    mark("\u0C82", t("anusvara")),
    mark("\u0C83", t("visarga")),
    ZWJ,
    ZWNJ,
  ],
  Mlym: [
    mark("\u0D4D", t("virama (chandrakkala)")),
    mark("\u0D02", t("anusvara")),
    mark("\u0D03", t("visarga")),
    mark("\u0D01", t("candrabindu")),
    ZWJ,
    ZWNJ,
  ],
  Arab: [
    mark("\u064E", t("zabar (fatha)")),
    mark("\u0650", t("zer (kasra)")),
    mark("\u064F", t("pesh (damma)")),
    mark("\u0651", t("tashdid (shadda)")),
    mark("\u0652", t("jazm (sukun)")),
    ["\u0621", "\u0621", t("hamza")],
    mark("\u0654", t("hamza above")),
    ["\u06D4", "\u06D4", t("Urdu full stop")],
    ZWNJ,
  ],
  Olck: [
    mark("\u1C78", t("mu ttuddag (nasal)")),
    mark("\u1C79", t("gaahlaa ttuddaag")),
    mark("\u1C7A", t("mu-gaahlaa ttuddaag")),
    mark("\u1C7B", t("relaa (length)")),
    ["\u1C7E", "\u1C7E", t("mucaad (full stop)")],
    ZWJ,
    ZWNJ,
  ],
  Mtei: [
    mark("\uABED", t("apun iyek (virama)")),
    ["\uABEB", "\uABEB", t("cheikhei (full stop)")],
    ZWJ,
    ZWNJ,
  ],
};

/** The keys of a script ([] for a script that needs none, such as Latin). */
export function keysFor(script) {
  return SCRIPT_KEYS[script] || [];
}

/**
 * Insert `text` into a textarea or input at its caret, replacing any selection, leave the caret
 * after it, and tell listeners (an "input" event, as typing would).
 */
export function insertAtCaret(field, text) {
  const start = field.selectionStart ?? field.value.length;
  const end = field.selectionEnd ?? start;
  field.setRangeText(text, start, end, "end");
  field.dispatchEvent(new Event("input", { bubbles: true }));
}

/**
 * Fill `container` (a role="group" element) with the keys of `script` for `field`; hide it when
 * the script has none. A tap or click keeps the focus (and a phone's keyboard) in the text box;
 * keyboard users keep theirs on the key and hear what was inserted through `onInsert(name)`.
 */
export function setUpScriptKeys(container, field, script, { onInsert = () => {} } = {}) {
  const keys = keysFor(script);
  container.replaceChildren();
  container.hidden = keys.length === 0;
  for (const [character, label, name] of keys) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "script-key";
    button.textContent = label;
    button.title = name;
    button.dataset.character = character;
    if (label.length > 2) {
      // ZWJ, ZWNJ: a Latin abbreviation on the key; its name starts with it, so that "press
      // ZWJ" works for voice control as well as a screen reader reads the full name.
      button.classList.add("script-key-word");
      button.setAttribute("aria-label", `${label} (${name})`);
    } else {
      // A glyph in the field's script (its font and shaping); read by its name.
      button.setAttribute("aria-label", name);
      button.lang = field.lang;
    }
    // mousedown (also fired for taps) would move the focus off the text box.
    button.addEventListener("mousedown", (event) => event.preventDefault());
    button.addEventListener("click", () => {
      if (field.disabled || field.readOnly) return;
      insertAtCaret(field, character);
      if (document.activeElement !== button) field.focus();
      onInsert(name);
    });
    container.append(button);
  }
}
