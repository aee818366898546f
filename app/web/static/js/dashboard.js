// The public dashboard: reads the published JSON files (docs/dashboard.md), never the API,
// and draws numbers, charts, goals and the leaderboard for all languages or the one chosen.
// The choice lives in the address (?language=hi), so a filtered view can be shared.

import { dataTable, horizontalBars, languageName, mountChart, showEmpty, stepLines } from "./charts.js";
import { loadTasks, showTasks } from "./dashboard-tasks.js";
import { NotPublishedYet, count, dateTime, hours, loadPublished, percent, relativeTime } from "./published.js";
import { announce, byId, showAlert } from "./ui.js";

const root = byId("dashboard");
const base = (root.dataset.dashboardBase || "").replace(/\/$/, "");
const DOCUMENTS = ["summary", "timeseries", "demographics", "leaderboard"];
const TOP_REGIONS = 15;
const AGE_ORDER = [
  "teens", "twenties", "thirties", "forties", "fifties", "sixties", "seventies", "eighties", "nineties",
];
const HOURS_SERIES = [
  { key: "recorded", name: "Hours recorded" },
  { key: "validated", name: "Hours validated" },
];

let published = null; // {manifest, summary, timeseries, demographics, leaderboard, tasks}
let languages = new Map(); // code -> the language's entry in summary.json

/** The language in the address, if it is one we know; "" means all languages. */
function chosenLanguage() {
  const code = new URLSearchParams(location.search).get("language") || "";
  return languages.has(code) ? code : "";
}

/** A language as a chart label: its own name in its own script, then the English name. */
function languageLabel(code) {
  const language = languages.get(code);
  if (!language) return { text: code };
  const note = language.name !== language.native_name ? language.name : undefined;
  return { text: language.native_name, lang: code, dir: language.direction, note };
}

function scopeText(code) {
  return code ? languages.get(code).name : "all languages";
}

const hoursText = (h) => `${hours(h)} h`;
const plural = (n, word) => `${count(n)} ${word}${n === 1 ? "" : "s"}`;
const dayLabel = (day) =>
  new Date(day).toLocaleDateString(undefined, { day: "numeric", month: "short", timeZone: "UTC" });
const fullDate = (isoDate) =>
  new Date(`${isoDate}T00:00:00Z`).toLocaleDateString(undefined, { dateStyle: "medium", timeZone: "UTC" });

/** "Karnataka 12, Maharashtra 8 and 3 more" for an aria-label. */
function listForSummary(rows, value, limit = 5) {
  const named = rows.slice(0, limit).map((row) => `${row.label.note || row.label.text} ${value(row)}`);
  const rest = rows.length - named.length;
  return rest > 0 ? `${named.join(", ")} and ${rest} more` : named.join(", ");
}

function showFilter() {
  const select = byId("language");
  const options = published.summary.languages.map((language) => {
    const option = document.createElement("option");
    option.value = language.code;
    // As on the profile form: the English name, then the language's own.
    option.textContent =
      language.native_name === language.name ? language.name : `${language.name} – ${language.native_name}`;
    return option;
  });
  select.replaceChildren(select.options[0], ...options);
  select.value = chosenLanguage();
}

function showUpdated() {
  const time = byId("updated");
  const generated = published.manifest.generated_at;
  time.dateTime = generated;
  time.textContent = `${relativeTime(generated)} (${dateTime(generated)})`;
}

function showHeadline(code) {
  const numbers = code ? languages.get(code) : published.summary.totals;
  const stats = {
    "hours-recorded": [numbers.hours_recorded, hours],
    "hours-validated": [numbers.hours_validated, hours],
    recordings: [numbers.recordings, count],
    speakers: [numbers.speakers, count],
    validators: [numbers.validators, count],
  };
  for (const [id, [value, format]] of Object.entries(stats)) {
    const element = byId(`stat-${id}`);
    element.textContent = format(value);
    element.dataset.value = String(value);
  }
}

/** "0.71", "-0.05": alpha to two decimals (the reader's locale). */
function alphaText(alpha) {
  return alpha.toLocaleString(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
}

/** What an agreement figure rests on, or why there is none (docs/dashboard.md, `agreement`). */
function agreementBasis(agreement, code) {
  if (agreement.undefined === "no_pairs") {
    return `No recording in ${scopeText(code)} has been checked by two people yet.`;
  }
  const basis =
    `From ${plural(agreement.votes, "vote")} on ${plural(agreement.recordings, "recording")} ` +
    `checked by at least two people (${plural(agreement.validators, "validator")}).`;
  if (agreement.undefined === "no_variation") {
    return `Every vote so far gave the same answer, so agreement beyond chance cannot be measured yet. ${basis}`;
  }
  return basis;
}

/** Krippendorff's alpha and the share of agreeing pairs, for all languages or the one chosen. */
function showAgreement(code) {
  const agreement = (code ? languages.get(code) : published.summary.totals).agreement;
  const alpha = byId("stat-agreement-alpha");
  const pairwise = byId("stat-agreement-pairwise");
  if (!agreement) {
    // A summary published before agreement was (the next refresh adds it).
    alpha.textContent = pairwise.textContent = "–";
    byId("agreement-basis").textContent = "Published with the next refresh.";
    return;
  }
  alpha.textContent = agreement.alpha === null ? "–" : alphaText(agreement.alpha);
  alpha.dataset.value = String(agreement.alpha);
  pairwise.textContent = agreement.pairwise === null ? "–" : percent(agreement.pairwise);
  pairwise.dataset.value = String(agreement.pairwise);
  byId("agreement-basis").textContent = agreementBasis(agreement, code);
}

function showLanguages(code) {
  const withData = published.summary.languages.filter((language) => language.recordings > 0);
  const container = byId("chart-languages");
  const idle = published.summary.languages.length - withData.length;
  byId("languages-note").textContent =
    idle > 0 ? `${idle} other language${idle === 1 ? " has" : "s have"} no recordings yet.` : "";
  if (withData.length === 0) {
    showEmpty(container, "Nothing has been recorded yet.");
    return;
  }
  const rows = withData.map((language) => ({
    label: languageLabel(language.code),
    values: { recorded: language.hours_recorded, validated: language.hours_validated },
    highlight: language.code === code,
    title:
      `${language.name}: ${hours(language.hours_recorded)} hours recorded, ` +
      `${hours(language.hours_validated)} validated`,
  }));
  mountChart(container, {
    legend: HOURS_SERIES,
    draw: (width) =>
      horizontalBars(width, {
        rows,
        series: HOURS_SERIES,
        format: hoursText,
        summary:
          `Hours recorded and validated for ${withData.length} language${withData.length === 1 ? "" : "s"}: ` +
          listForSummary(rows, ({ values: v }) => `${hours(v.recorded)} recorded, ${hours(v.validated)} validated`),
      }),
    table: dataTable(
      "Hours per language",
      [
        { label: "Language" },
        { label: "Hours recorded", numeric: true },
        { label: "Hours validated", numeric: true },
        { label: "Recordings", numeric: true },
        { label: "Speakers", numeric: true },
        { label: "Validators", numeric: true },
        { label: "Agreement (α)", numeric: true },
      ],
      withData.map((language) => [
        languageLabel(language.code),
        hours(language.hours_recorded),
        hours(language.hours_validated),
        count(language.recordings),
        count(language.speakers),
        count(language.validators),
        language.agreement?.alpha == null ? "–" : alphaText(language.agreement.alpha),
      ]),
    ),
  });
}

function showTimeseries(code) {
  const points = (code ? published.timeseries.languages[code] : published.timeseries.all) || [];
  const container = byId("chart-timeseries");
  if (points.length === 0) {
    showEmpty(container, `Nothing has been recorded in ${scopeText(code)} yet.`);
    return;
  }
  const last = points.at(-1);
  const series = [
    { key: "recorded", name: "Hours recorded", value: (point) => point.cumulative_hours_recorded },
    { key: "validated", name: "Hours validated", value: (point) => point.cumulative_hours_validated },
  ];
  mountChart(container, {
    legend: series,
    draw: (width) =>
      stepLines(width, {
        points,
        series,
        until: published.manifest.generated_at.slice(0, 10),
        format: hours,
        dayLabel,
        pointTitle: (point) =>
          `${fullDate(point.date)}: ${hours(point.cumulative_hours_recorded)} hours recorded, ` +
          `${hours(point.cumulative_hours_validated)} validated in all ` +
          `(${hours(point.hours_recorded)} and ${hours(point.hours_validated)} that day)`,
        summary:
          `Running totals for ${scopeText(code)} over ${points.length} day${points.length === 1 ? "" : "s"} ` +
          `with activity from ${fullDate(points[0].date)} to ${fullDate(last.date)}: ` +
          `${hours(last.cumulative_hours_recorded)} hours recorded and ` +
          `${hours(last.cumulative_hours_validated)} validated.`,
      }),
    table: dataTable(
      `Hours per day, ${scopeText(code)}`,
      [
        { label: "Day (UTC)" },
        { label: "Hours recorded", numeric: true },
        { label: "Hours validated", numeric: true },
        { label: "Recordings", numeric: true },
        { label: "Accepted", numeric: true },
        { label: "Recorded in all", numeric: true },
        { label: "Validated in all", numeric: true },
      ],
      points.map((point) => [
        fullDate(point.date),
        hours(point.hours_recorded),
        hours(point.hours_validated),
        count(point.recordings),
        count(point.accepted),
        hours(point.cumulative_hours_recorded),
        hours(point.cumulative_hours_validated),
      ]),
    ),
  });
}

/** "Not given" goes last, whatever its size: it is not a group of people like the others. */
function notGivenLast(entries) {
  return [...entries.filter((entry) => entry.key !== null), ...entries.filter((entry) => entry.key === null)];
}

/** The 15 states with most speakers, the rest summed as one bar, then "Not given". */
function topRegions(entries) {
  const given = entries
    .filter((entry) => entry.key !== null)
    .sort((a, b) => b.speakers - a.speakers || b.hours_recorded - a.hours_recorded);
  const rest = given.slice(TOP_REGIONS);
  const shown = given.slice(0, TOP_REGIONS);
  if (rest.length > 0) {
    shown.push({
      key: "others",
      label: `${rest.length} other state${rest.length === 1 ? "" : "s"}`,
      speakers: rest.reduce((sum, entry) => sum + entry.speakers, 0),
      hours_recorded: rest.reduce((sum, entry) => sum + entry.hours_recorded, 0),
    });
  }
  return [...shown, ...entries.filter((entry) => entry.key === null)];
}

function byAge(entries) {
  const rank = (entry) => (entry.key === null ? 99 : AGE_ORDER.indexOf(entry.key) + 1 || 50);
  return [...entries].sort((a, b) => rank(a) - rank(b));
}

function showPeopleChart(containerId, what, entries, code) {
  const container = byId(containerId);
  if (entries.length === 0) {
    showEmpty(container, `Nothing has been recorded in ${scopeText(code)} yet.`);
    return;
  }
  const rows = entries.map((entry) => ({
    label: { text: entry.label },
    values: { speakers: entry.speakers },
    muted: entry.key === null || entry.key === "others",
    title: `${entry.label}: ${plural(entry.speakers, "speaker")}, ${hours(entry.hours_recorded)} hours recorded`,
  }));
  mountChart(container, {
    draw: (width) =>
      horizontalBars(width, {
        rows,
        series: [{ key: "speakers", name: "Speakers" }],
        format: count,
        summary: `Speakers by ${what}, ${scopeText(code)}: ${listForSummary(rows, (r) => count(r.values.speakers))}`,
      }),
    table: dataTable(
      `Speakers by ${what}, ${scopeText(code)}`,
      [
        { label: what[0].toUpperCase() + what.slice(1) },
        { label: "Speakers", numeric: true },
        { label: "Hours recorded", numeric: true },
      ],
      entries.map((entry) => [entry.label, count(entry.speakers), hours(entry.hours_recorded)]),
    ),
  });
}

function showDemographics(code) {
  const groups = (code ? published.demographics.languages[code] : published.demographics.all) || {};
  showPeopleChart("chart-regions", "state", topRegions(groups.by_region || []), code);
  showPeopleChart("chart-ages", "age group", byAge(groups.by_age_group || []), code);
  showPeopleChart("chart-genders", "gender", notGivenLast(groups.by_gender || []), code);
}

function goalItem(language) {
  const item = document.createElement("li");
  const name = document.createElement("span");
  name.className = "goal-name";
  name.id = `goal-${language.code}`;
  name.append(...languageName(languageLabel(language.code)));
  const bar = document.createElement("progress");
  bar.max = 1;
  bar.value = Math.min(1, language.progress);
  bar.setAttribute("aria-labelledby", name.id);
  bar.setAttribute("aria-describedby", `${name.id}-text`);
  const text = document.createElement("span");
  text.className = "goal-text";
  text.id = `${name.id}-text`;
  text.textContent =
    `${hours(language.hours_validated)} of ${count(language.goal_hours)} hours (${percent(language.progress)})` +
    (language.progress >= 1 ? " · goal reached" : "");
  item.append(name, bar, text);
  return item;
}

function showGoals(code) {
  const withGoal = published.summary.languages.filter((language) => language.goal_hours);
  const shown = code
    ? withGoal.filter((language) => language.code === code)
    : withGoal.filter((language) => language.recordings > 0);
  byId("goals").replaceChildren(...shown.map(goalItem));
  const waiting = withGoal.length - shown.length;
  let note = "";
  if (code && shown.length === 0) note = `${languages.get(code).name} has no goal yet.`;
  else if (!code && waiting > 0) {
    note = `${waiting} more language${waiting === 1 ? " has" : "s have"} a goal and no recordings yet.`;
  }
  byId("goals-note").textContent = note;
}

function waitingForNames(leaderboard) {
  return `The leaderboard appears once ${leaderboard.minimum_people} people with a display name have contributed.`;
}

function showLeaders(code) {
  const { leaderboard } = published;
  const board = code ? leaderboard.languages[code] : leaderboard.all;
  const note = byId("leaders-note");
  const container = byId("leaders");
  if (!board) {
    // leaderboard.json has boards per language only.
    note.textContent = code
      ? waitingForNames(leaderboard)
      : "Choose a language above to see its top contributors.";
    container.replaceChildren();
    return;
  }
  if (!board.shown) {
    note.textContent = waitingForNames(leaderboard);
    container.replaceChildren();
    return;
  }
  note.textContent = "People who chose a display name, ranked by recordings plus checks.";
  const table = dataTable(
    `Top contributors, ${scopeText(code)}`,
    [
      { label: "Rank", numeric: true },
      { label: "Name" },
      { label: "Recordings", numeric: true },
      { label: "Hours", numeric: true },
      { label: "Accepted", numeric: true },
      { label: "Checks", numeric: true },
    ],
    board.contributors.map((person) => [
      String(person.rank),
      person.display_name,
      count(person.recordings),
      hours(person.hours_recorded),
      count(person.accepted),
      count(person.validations),
    ]),
  );
  table.querySelector("table").classList.add("leaderboard");
  // Names are whatever people typed, in any script: let the browser pick the direction.
  for (const cell of table.querySelectorAll("tbody td:nth-child(2)")) cell.dir = "auto";
  container.replaceChildren(table);
}

function showScope(code) {
  for (const element of document.querySelectorAll(".scope")) {
    element.replaceChildren();
    if (code) element.append(" · ", ...languageName(languageLabel(code)).slice(0, 1));
  }
}

function show() {
  const code = chosenLanguage();
  byId("language").value = code;
  showScope(code);
  showHeadline(code);
  showAgreement(code);
  showLanguages(code);
  showTimeseries(code);
  showDemographics(code);
  showGoals(code);
  showLeaders(code);
  showTasks(byId("tasks"), byId("tasks-note"), {
    tasks: published.tasks,
    code,
    scope: scopeText(code),
    languages,
  });
}

function onLanguageChosen(event) {
  const url = new URL(location.href);
  if (event.target.value) url.searchParams.set("language", event.target.value);
  else url.searchParams.delete("language");
  history.pushState(null, "", url);
  show();
  announce(byId("status"), `Showing ${scopeText(chosenLanguage())}.`);
}

async function load() {
  try {
    published = await loadPublished(base, DOCUMENTS);
    // tasks.json is read apart: a set published before it existed names none, and a failure
    // to read it leaves the rest of the page as it is (the section says why).
    published.tasks = await loadTasks(base, published.manifest).catch((error) => error);
    languages = new Map(published.summary.languages.map((language) => [language.code, language]));
    showFilter();
    showUpdated();
    byId("content").hidden = false; // before drawing: charts are drawn at their box's width
    show();
    byId("language").addEventListener("change", onLanguageChosen);
    window.addEventListener("popstate", show);
    setInterval(showUpdated, 60_000);
    root.dataset.state = "ready";
  } catch (error) {
    if (error instanceof NotPublishedYet) {
      byId("preparing").hidden = false;
      root.dataset.state = "preparing";
    } else {
      showAlert(byId("alert"), error.message);
      root.dataset.state = "failed";
    }
  } finally {
    byId("loading").hidden = true;
  }
}

load();
