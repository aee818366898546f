// My badges: the badges held per line of work (and the next one), the streak, milestones and
// the weekly goals form. Everything comes from GET /api/v1/me/progress; nothing is awarded by
// looking (badges are earned by the contribution or vote that reaches them).

import { LEVELS, LINES, renderWeek } from "./achievements.js";
import { api } from "./api.js";
import { formatNumber, languageName, t, tn } from "./i18n.js";
import { announce, byId, onSubmit, showAlert } from "./ui.js";

const TASKS = ["speak", "transcribe", "translate", "label"];
const form = byId("goals-form");

function element(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className) node.className = className;
  return node;
}

function showStreak({ streak, items }) {
  byId("streak-current").textContent = formatNumber(streak.current);
  byId("streak-best").textContent = formatNumber(streak.best);
  byId("items-total").textContent = formatNumber(items.total);
  byId("streak-today").textContent = streak.today
    ? t("Today counts already. Come back tomorrow to keep it going.")
    : t("Contribute or check something today to keep your streak going.");
}

function showBadges(lines) {
  const list = byId("badge-lines");
  byId("no-badges").hidden = lines.some((line) => line.held.length > 0);
  list.replaceChildren(
    ...lines.map((line) => {
      const item = element("li");
      const work = (LINES[`${line.task}/${line.category}`] || (() => line.task))();
      // Translators: {work} is a kind of work ("Recording"), {language} a language's name.
      item.append(element("h3", t("{work} in {language}", { work, language: languageName(line.language, line.language_name) })));
      if (line.held.length) {
        const held = element("ul", undefined, "held");
        for (const badge of line.held) held.append(element("li", LEVELS[badge.level]()));
        item.append(held);
      }
      const next = line.next
        ? // Translators: progress toward the next badge, e.g. "7 of 50 for Silver".
          t("{count} of {threshold} for {badge}", {
            count: formatNumber(line.count),
            threshold: formatNumber(line.next.threshold),
            badge: LEVELS[line.next.level](),
          })
        : t("{count} done: every badge earned!", { count: formatNumber(line.count) });
      item.append(element("p", next, "next"));
      return item;
    }),
  );
}

/** A milestone held, in words ("3 days in a row"). */
function milestoneName({ kind, threshold }) {
  return kind === "streak"
    ? tn("{n} day in a row", "{n} days in a row", threshold)
    : tn("{n} contribution or check in all", "{n} contributions and checks in all", threshold);
}

function showMilestones(milestones) {
  byId("no-milestones").hidden = milestones.length > 0;
  byId("milestones").replaceChildren(...milestones.map((m) => element("li", milestoneName(m))));
}

function fillGoals(goals) {
  const targets = Object.fromEntries(goals.map((goal) => [goal.task, goal.target]));
  for (const task of TASKS) form.elements[task].value = targets[task] ?? "";
  renderWeek(byId("my-week"), { streak: { current: 0 }, goals });
}

function show(progress) {
  showStreak(progress);
  showBadges(progress.badges);
  showMilestones(progress.milestones);
  fillGoals(progress.goals);
}

function fieldError(task, message) {
  const box = byId(`goal-${task}-error`);
  box.textContent = message || "";
  box.hidden = !message;
  form.elements[task].setAttribute("aria-invalid", message ? "true" : "false");
}

onSubmit(form, async (event) => {
  event.preventDefault();
  const body = {};
  let firstBad = null;
  for (const task of TASKS) {
    const raw = form.elements[task].value.trim();
    const value = raw === "" ? null : Number(raw);
    const bad = value !== null && !(Number.isInteger(value) && value >= 1 && value <= 10000);
    fieldError(task, bad ? t("A whole number from 1 to 10,000, or empty.") : "");
    if (bad && !firstBad) firstBad = task;
    body[task] = value;
  }
  if (firstBad) {
    form.elements[firstBad].focus();
    return;
  }
  try {
    fillGoals((await api("me/goals", { method: "PUT", json: body })).goals);
    announce(byId("goals-status"), t("Goals saved."));
  } catch (error) {
    if (error.field && TASKS.includes(error.field)) {
      fieldError(error.field, error.message);
      form.elements[error.field].focus();
    } else {
      showAlert(byId("alert"), error.message);
    }
  }
});

async function load() {
  try {
    show(await api("me/progress"));
  } catch (error) {
    showAlert(byId("alert"), error.message);
  }
}

load();
