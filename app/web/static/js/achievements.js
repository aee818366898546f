// Progress in the contributor pages (issue #20): the "new badge" moment right after the
// contribution or vote whose answer carries `achievements`, and this week's goals and streak
// (after a round, on the home page). The My badges page (badges.js) uses the same words.

import { api } from "./api.js";
import { formatNumber, languageName, t, tn } from "./i18n.js";

export const BADGES_PAGE = "/me/badges";

/** A badge level's name ("bronze" → "Bronze", translated). */
export const LEVELS = {
  bronze: () => t("Bronze"),
  silver: () => t("Silver"),
  gold: () => t("Gold"),
  platinum: () => t("Platinum"),
};

// One whole sentence per task × category; {badge} is a level's name, {language} a language's.
const NEW_BADGE = {
  // Translators: {badge} is a badge's name (Bronze, Silver, Gold, Platinum); {language} a language's name.
  "speak/contribute": (p) => t("New badge: {badge} for recording in {language}!", p),
  "speak/validate": (p) => t("New badge: {badge} for checking recordings in {language}!", p),
  "transcribe/contribute": (p) => t("New badge: {badge} for transcribing in {language}!", p),
  "transcribe/validate": (p) => t("New badge: {badge} for checking transcripts in {language}!", p),
  "translate/contribute": (p) => t("New badge: {badge} for translating into {language}!", p),
  "translate/validate": (p) => t("New badge: {badge} for checking translations into {language}!", p),
  "label/contribute": (p) => t("New badge: {badge} for labelling images in {language}!", p),
  "label/validate": (p) => t("New badge: {badge} for checking labels in {language}!", p),
};

/** What a line of work is called on the My badges page (task × category), translated. */
export const LINES = {
  "speak/contribute": () => t("Recording"),
  "speak/validate": () => t("Checking recordings"),
  "transcribe/contribute": () => t("Transcribing"),
  "transcribe/validate": () => t("Checking transcripts"),
  "translate/contribute": () => t("Translating"),
  "translate/validate": () => t("Checking translations"),
  "label/contribute": () => t("Labelling images"),
  "label/validate": () => t("Checking labels"),
};

/** A weekly goal's progress, per task ({done} of {target} items this week). */
const GOAL = {
  // Translators: a weekly goal's progress; {done} and {target} are numbers of contributions and checks.
  speak: (p) => t("Speak this week: {done} of {target}", p),
  transcribe: (p) => t("Transcribe this week: {done} of {target}", p),
  translate: (p) => t("Translate this week: {done} of {target}", p),
  label: (p) => t("Label this week: {done} of {target}", p),
};

/** One achievement from a write's answer, in a sentence. */
export function describe(achievement) {
  const { kind, threshold } = achievement;
  if (kind === "streak") {
    return tn("A new milestone: {n} day in a row!", "A new milestone: {n} days in a row!", threshold);
  }
  if (kind === "items") {
    return tn(
      "A new milestone: {n} contribution or check in all!",
      "A new milestone: {n} contributions and checks in all!",
      threshold,
    );
  }
  const say = NEW_BADGE[`${achievement.task}/${achievement.category}`];
  const badge = (LEVELS[achievement.level] || (() => achievement.level))();
  const language = languageName(achievement.language, achievement.language_name || achievement.language);
  return say ? say({ badge, language }) : badge;
}

let toast = null;

function loadStyles() {
  if (document.querySelector("link[data-progress-styles]")) return;
  const link = document.createElement("link");
  link.rel = "stylesheet";
  link.href = "/static/progress.css";
  link.dataset.progressStyles = "";
  document.head.append(link);
}

/** The toast: a polite live region (made once, empty, so that filling it is announced). */
function theToast() {
  if (toast) return toast;
  loadStyles();
  const box = document.createElement("div");
  box.id = "achievement-toast";
  box.className = "achievement-toast";
  box.hidden = true;
  const region = document.createElement("div");
  region.setAttribute("role", "status");
  region.setAttribute("aria-live", "polite");
  const list = document.createElement("ul");
  region.append(list);
  const actions = document.createElement("p");
  const link = document.createElement("a");
  link.href = BADGES_PAGE;
  link.textContent = t("See my badges");
  const close = document.createElement("button");
  close.type = "button";
  close.className = "link-button";
  close.textContent = t("Close");
  close.addEventListener("click", () => {
    box.hidden = true;
    list.replaceChildren();
  });
  actions.append(link, " ", close);
  box.append(region, actions);
  // In the page's flow under its status line (not over it: it never covers a button).
  const status = document.getElementById("status");
  if (status) status.after(box);
  else (document.getElementById("main") || document.body).prepend(box);
  toast = { box, list };
  return toast;
}

/**
 * After a write: say what its answer's `achievements` earned, in a box the person can close
 * (focus stays where it is: the round goes on); it stays until closed or replaced by the next
 * one. Nothing when it earned nothing.
 */
export function showAchievements(reply) {
  const earned = (reply && reply.achievements) || [];
  if (!earned.length) return;
  const { box, list } = theToast();
  box.hidden = false;
  // A new frame, so that screen readers notice the region's new content.
  requestAnimationFrame(() => {
    list.replaceChildren(
      ...earned.map((achievement) => {
        const item = document.createElement("li");
        item.textContent = describe(achievement);
        return item;
      }),
    );
  });
}

/** This week's goals (a line and a bar each) and the streak, into `container`; false when
 * there is nothing to show (no goal, no streak). */
export function renderWeek(container, progress) {
  const parts = [];
  const { current } = progress.streak;
  if (current > 0) {
    const streak = document.createElement("p");
    streak.className = "streak";
    streak.textContent = tn("Streak: {n} day in a row", "Streak: {n} days in a row", current);
    parts.push(streak);
  }
  for (const goal of progress.goals) {
    const say = GOAL[goal.task];
    if (!say) continue;
    const row = document.createElement("p");
    row.className = "goal";
    const label = document.createElement("span");
    label.textContent = say({ done: formatNumber(goal.done), target: formatNumber(goal.target) });
    const bar = document.createElement("progress");
    bar.max = goal.target;
    bar.value = Math.min(goal.done, goal.target);
    label.id = `goal-${goal.task}-${Math.random().toString(36).slice(2, 8)}`;
    bar.setAttribute("aria-labelledby", label.id);
    row.append(label, " ", bar);
    parts.push(row);
  }
  container.replaceChildren(...parts);
  return parts.length > 0;
}

/** After a round: this week's goals and streak under the thank-you (`step`), when there are any. */
export async function showWeekAfterRound(step) {
  let week = step.querySelector(".week-progress");
  try {
    const progress = await api("me/progress");
    if (!week) {
      loadStyles();
      week = document.createElement("div");
      week.className = "week-progress";
      const heading = step.querySelector("h2");
      if (heading) heading.after(week);
      else step.append(week);
    }
    renderWeek(week, progress);
    if (!progress.goals.length) {
      const link = document.createElement("a");
      link.href = BADGES_PAGE;
      link.textContent = t("Set a weekly goal");
      const line = document.createElement("p");
      line.append(link);
      week.append(line);
    }
  } catch {
    // Not essential: the round's own thank-you is shown anyway.
  }
}
