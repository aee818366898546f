// The dashboard's "Transcribe, translate, label" section: tasks.json (docs/dashboard.md), one
// table per task with a row per language (translate: per language pair), each row's progress
// toward its goal as a bar. A manifest published before tasks.json existed names no such file:
// the section then says so and the rest of the page is drawn as before.

import { languageName } from "./charts.js";
import { languageName as nameInPageLanguage, t, tn } from "./i18n.js";
import { count, hours, percent } from "./published.js";

/**
 * What each task's table says; the goal is in hours of validated audio or validated items.
 * `caption(language)` names the table for one language, or for all when `language` is null;
 * `goal(n, figures)` writes "{done} of {target} items ({percent})" for a goal of n items.
 */
const TASKS = [
  {
    task: "transcribe",
    title: t("Transcribe"),
    what: t("Listen to a clip and type what is said."),
    items: t("Clips"),
    answered: t("Transcribed"),
    goal: (n, figures) => tn("{done} of {target} clip ({percent})", "{done} of {target} clips ({percent})", n, figures),
    caption: (language) =>
      language ? t("Transcribe per language, {language}", { language }) : t("Transcribe per language, all languages"),
    empty: (language) =>
      language ? t("Nothing to transcribe in {language} yet.", { language }) : t("Nothing to transcribe in all languages yet."),
    withHours: true,
  },
  {
    task: "translate",
    title: t("Translate"),
    what: t("Read a sentence and write it in another language."),
    items: t("Sentences"),
    answered: t("Translated"),
    goal: (n, figures) =>
      tn("{done} of {target} sentence ({percent})", "{done} of {target} sentences ({percent})", n, figures),
    caption: (language) =>
      language
        ? t("Translate per language pair, {language}", { language })
        : t("Translate per language pair, all languages"),
    empty: (language) =>
      language ? t("Nothing to translate in {language} yet.", { language }) : t("Nothing to translate in all languages yet."),
    withHours: false,
  },
  {
    task: "label",
    title: t("Label"),
    what: t("Look at an image of text and type the text."),
    items: t("Images"),
    answered: t("Labelled"),
    goal: (n, figures) => tn("{done} of {target} image ({percent})", "{done} of {target} images ({percent})", n, figures),
    caption: (language) =>
      language ? t("Label per language, {language}", { language }) : t("Label per language, all languages"),
    empty: (language) =>
      language ? t("Nothing to label in {language} yet.", { language }) : t("Nothing to label in all languages yet."),
    withHours: false,
  },
];

/**
 * tasks.json as named by the manifest, or null when the manifest names none (an older set).
 * Throws Error (a sentence for people) when the file cannot be read; the caller shows it in
 * this section only, since the rest of the page does not depend on it.
 */
export async function loadTasks(base, manifest) {
  const key = manifest.files.tasks;
  if (!key) return null;
  let response;
  try {
    response = await fetch(`${base}/${key}`, { credentials: "omit", headers: { Accept: "application/json" } });
  } catch {
    throw new Error(t("The numbers of transcribe, translate and label could not be loaded."));
  }
  if (!response.ok) {
    throw new Error(
      t("The numbers of transcribe, translate and label could not be loaded ({status}).", { status: response.status }),
    );
  }
  return response.json();
}

/** A language as {text, lang, dir, note}: its own name in its own script, then the English one. */
function label(code, name, nativeName, direction) {
  if (!name) return { text: code };
  return { text: nativeName, lang: code, dir: direction, note: nativeName !== name ? name : undefined };
}

/** The row's language (translated into), with the names tasks.json carries. */
function targetLabel(row) {
  return label(row.language, nameInPageLanguage(row.language, row.name), row.native_name, row.direction);
}

/** A source language, named from summary.json (tasks.json names only the target). */
function sourceLabel(code, languages) {
  const language = languages.get(code);
  return language ? label(code, language.name, language.native_name, language.direction) : { text: code };
}

/** "from → to" as nodes: the arrow is for the eyes, "to" for screen readers. */
function arrow() {
  const seen = document.createElement("span");
  seen.setAttribute("aria-hidden", "true");
  seen.textContent = " → ";
  const heard = document.createElement("span");
  heard.className = "visually-hidden";
  // Translators: read by screen readers between two languages' names: "Hindi to Tamil".
  heard.textContent = ` ${t("to")} `;
  return [seen, heard];
}

function rowId(row) {
  return ["task", row.task, row.source_language, row.language].filter(Boolean).join("-");
}

function numericCell(value, format) {
  const cell = document.createElement("td");
  cell.className = "numeric";
  cell.textContent = format(value);
  cell.dataset.value = String(value);
  return cell;
}

/** "0.27 of 5 hours (5.4%)" or "310 of 5,000 sentences (6.2%)", and "goal reached" at 100%. */
function goalText(goal, spec) {
  const share = goal.target ? goal.done / goal.target : 0;
  const text =
    goal.unit === "hours"
      ? tn("{done} of {target} hour ({percent})", "{done} of {target} hours ({percent})", goal.target, {
          done: hours(goal.done),
          target: hours(goal.target),
          percent: percent(share),
        })
      : spec.goal(goal.target, { done: count(goal.done), target: count(goal.target), percent: percent(share) });
  return share >= 1 ? `${text} · ${t("goal reached")}` : text;
}

/** The goal cell: a bar named by its row and column, described by the figures beside it. */
function goalCell(row, spec, headerId) {
  const cell = document.createElement("td");
  cell.className = "task-goal";
  const id = rowId(row);
  const bar = document.createElement("progress");
  bar.max = 1;
  bar.value = row.goal.target ? Math.min(1, row.goal.done / row.goal.target) : 0;
  bar.setAttribute("aria-labelledby", `${id}-name ${headerId}`);
  bar.setAttribute("aria-describedby", `${id}-goal`);
  const text = document.createElement("span");
  text.className = "task-goal-text";
  text.id = `${id}-goal`;
  text.textContent = goalText(row.goal, spec);
  cell.dataset.done = String(row.goal.done);
  cell.dataset.target = String(row.goal.target);
  cell.append(bar, text);
  return cell;
}

function nameCell(row, languages) {
  const cell = document.createElement("th");
  cell.scope = "row";
  cell.id = `${rowId(row)}-name`;
  if (row.source_language) {
    cell.append(...languageName(sourceLabel(row.source_language, languages)), ...arrow());
  }
  cell.append(...languageName(targetLabel(row)));
  if (!row.open) {
    const closed = document.createElement("span");
    closed.className = "task-closed";
    // Translators: after a language's name in a table: the task is not open in it.
    closed.textContent = ` · ${t("closed")}`;
    cell.append(closed);
  }
  return cell;
}

function headerCell(text, { numeric = false, id } = {}) {
  const cell = document.createElement("th");
  cell.scope = "col";
  if (numeric) cell.className = "numeric";
  if (id) cell.id = id;
  if (Array.isArray(text)) cell.append(...text);
  else cell.textContent = text;
  return cell;
}

function taskTable(spec, rows, scope, languages) {
  const table = document.createElement("table");
  table.className = "data-table task-table";
  table.createCaption().textContent = spec.caption(scope);
  const goalHeaderId = `task-${spec.task}-goal-heading`;
  const head = table.createTHead().insertRow();
  head.append(
    // Translators: the heading of a column whose rows are "Hindi → Tamil" (from → into).
    headerCell(spec.task === "translate" ? t("Language pair") : t("Language")),
    headerCell(spec.items, { numeric: true }),
    headerCell(spec.answered, { numeric: true }),
    headerCell(t("Validated"), { numeric: true }),
    ...(spec.withHours
      ? [headerCell(t("Hours transcribed"), { numeric: true }), headerCell(t("Hours validated"), { numeric: true })]
      : []),
    headerCell(t("Answers"), { numeric: true }),
    headerCell(t("Corrections"), { numeric: true }),
    headerCell(t("Goal"), { id: goalHeaderId }),
  );
  const body = table.createTBody();
  for (const row of rows) {
    const line = body.insertRow();
    line.dataset.task = row.task;
    line.dataset.language = row.language;
    if (row.source_language) line.dataset.source = row.source_language;
    line.append(
      nameCell(row, languages),
      numericCell(row.items, count),
      numericCell(row.items_contributed, count),
      numericCell(row.items_validated, count),
      ...(spec.withHours ? [numericCell(row.hours_contributed, hours), numericCell(row.hours_validated, hours)] : []),
      numericCell(row.contributions, count),
      numericCell(row.corrections, count),
      goalCell(row, spec, goalHeaderId),
    );
  }
  const wrapper = document.createElement("div");
  wrapper.className = "table-scroll";
  wrapper.append(table);
  return wrapper;
}

function taskBlock(spec, rows, scope, languages) {
  const block = document.createElement("section");
  block.className = "task-block";
  block.id = `tasks-${spec.task}`;
  block.setAttribute("aria-labelledby", `tasks-${spec.task}-heading`);
  const heading = document.createElement("h3");
  heading.id = `tasks-${spec.task}-heading`;
  heading.textContent = spec.title;
  const what = document.createElement("p");
  what.className = "help";
  what.textContent = spec.what;
  block.append(heading, what);
  if (rows.length === 0) {
    const empty = document.createElement("p");
    empty.className = "empty";
    empty.textContent = spec.empty(scope);
    block.append(empty);
  } else {
    block.append(taskTable(spec, rows, scope, languages));
  }
  return block;
}

/**
 * Draw tasks.json into `container` for all languages (code "") or the one chosen (a pair shows
 * when either of its languages is the one chosen). `tasks` is the document, null when the
 * manifest names none, or an Error when it could not be read. `languages` maps codes to
 * summary.json's entries (for the names of source languages); `scope` is the chosen language's
 * name, or null for all languages.
 */
export function showTasks(container, note, { tasks, code, scope, languages }) {
  if (tasks === null || tasks instanceof Error) {
    note.textContent =
      tasks === null
        ? t("Nothing is published for transcribe, translate and label yet; they appear after the next refresh.")
        : tasks.message;
    container.replaceChildren();
    return;
  }
  note.textContent = "";
  const shown = tasks.tasks.filter((row) => !code || row.language === code || row.source_language === code);
  container.replaceChildren(
    ...TASKS.map((spec) =>
      taskBlock(
        spec,
        shown.filter((row) => row.task === spec.task),
        scope,
        languages,
      ),
    ),
  );
}
