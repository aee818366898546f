// The translate chooser: the language pairs open for translation (GET /api/v1/tasks), each
// with how many sentences wait and links to translate or to check translations.
// `?to=<code>` (a language card's Translate link) keeps the pairs into that language.

import { api } from "./api.js";
import { localiseLanguages, t, tn } from "./i18n.js";
import { byId, showAlert } from "./ui.js";

const root = byId("choose-pair");
const target = root.dataset.target;

function nameOf(languages, code) {
  return languages.get(code) || { code, name: code, native_name: code, direction: "auto" };
}

function inItsLanguage(element, language) {
  element.textContent = language.native_name;
  element.lang = language.code;
  element.dir = language.direction;
}

function renderPair(template, pair, languages) {
  const node = template.content.firstElementChild.cloneNode(true);
  const field = (name) => node.querySelector(`[data-field="${name}"]`);
  const from = nameOf(languages, pair.source_language);
  const to = nameOf(languages, pair.language);
  inItsLanguage(field("source"), from);
  inItsLanguage(field("target"), to);
  // Translators: a pair of languages, e.g. "Hindi to Tamil".
  const names = t("{source} to {target}", { source: from.name, target: to.name });
  field("names").textContent = names;
  field("count").textContent = tn("{n} sentence to translate", "{n} sentences to translate", pair.items_open);
  const translate = field("translate");
  translate.href = `/translate/${encodeURIComponent(from.code)}/${encodeURIComponent(to.code)}`;
  translate.append(visuallyHidden(` ${names}`));
  const validate = field("validate");
  validate.href = `/validate/translate/${encodeURIComponent(to.code)}?from=${encodeURIComponent(from.code)}`;
  // Translators: read by screen readers after the button's word "Validate": "Validate translations from Hindi to Tamil".
  validate.append(
    visuallyHidden(` ${t("translations from {source} to {target}", { source: from.name, target: to.name })}`),
  );
  return node;
}

function visuallyHidden(text) {
  const span = document.createElement("span");
  span.className = "visually-hidden";
  span.textContent = text;
  return span;
}

async function load() {
  try {
    // Language names are only a nicety: without them the codes are shown.
    const names = api("languages").catch(() => ({ languages: [] }));
    const [{ tasks }, { languages: known }] = await Promise.all([api("tasks"), names]);
    const languages = new Map(localiseLanguages(known).map((language) => [language.code, language]));
    const pairs = tasks
      .filter((entry) => entry.task === "translate" && entry.source_language)
      .filter((entry) => !target || entry.language === target)
      .sort(
        (a, b) =>
          // The pairs with sentences waiting first (issue #21: lead with what has work).
          Number(b.items_open > 0) - Number(a.items_open > 0) ||
          nameOf(languages, a.source_language).name.localeCompare(nameOf(languages, b.source_language).name) ||
          nameOf(languages, a.language).name.localeCompare(nameOf(languages, b.language).name),
      );
    const template = byId("pair-template");
    byId("pairs").replaceChildren(...pairs.map((pair) => renderPair(template, pair, languages)));
    byId("empty").hidden = pairs.length > 0;
    byId("filter-note").hidden = !target;
  } catch (error) {
    showAlert(byId("alert"), error.message);
  } finally {
    byId("loading").hidden = true;
  }
}

load();
