// The public dashboard: reads the published JSON files (docs/dashboard.md), never the API,
// and draws numbers, charts, goals and the leaderboard for all languages or the one chosen.
// The choice lives in the address (?language=hi), so a filtered view can be shared.

import { dataTable, horizontalBars, languageName, mountChart, showEmpty, stepLines } from "./charts.js";
import { loadMyRanks, onBoardChosen, showLeaders } from "./dashboard-leaders.js";
import { loadTasks, showTasks } from "./dashboard-tasks.js";
import { formatNumber, intlLocale, localiseLanguages, t, tn } from "./i18n.js";
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
  { key: "recorded", name: t("Hours recorded") },
  { key: "validated", name: t("Hours validated") },
];
// The published files name the groups in English (made before anyone reads them): the page
// names the ones it knows in its own language, by key. Age ranges are numbers; states keep
// their names.
const GROUP_LABELS = {
  teens: () => t("Under 20"),
  nineties: () => t("90 or over"),
  female: () => t("Female"),
  male: () => t("Male"),
  transgender: () => t("Transgender"),
  other: () => t("Other"),
};

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

/** The chosen language's name, or null for all languages (each sentence has both forms). */
function scopeName(code) {
  return code ? languages.get(code).name : null;
}

// Translators: hours on a chart's bar, e.g. "12.5 h".
const hoursText = (h) => t("{hours} h", { hours: hours(h) });
const dayFormat = new Intl.DateTimeFormat(intlLocale, { day: "numeric", month: "short", timeZone: "UTC" });
const fullDateFormat = new Intl.DateTimeFormat(intlLocale, { dateStyle: "medium", timeZone: "UTC" });
const dayLabel = (day) => dayFormat.format(new Date(day));
const fullDate = (isoDate) => fullDateFormat.format(new Date(`${isoDate}T00:00:00Z`));

/** "Karnataka 12, Maharashtra 8 and 3 more" for an aria-label. */
function listForSummary(rows, value, limit = 5) {
  const named = rows.slice(0, limit).map((row) => `${row.label.note || row.label.text} ${value(row)}`);
  const rest = rows.length - named.length;
  const list = named.join(", ");
  // Translators: the end of a list read by screen readers, e.g. "Karnataka 12, Kerala 8 and 3 more".
  return rest > 0 ? tn("{list} and {n} more", "{list} and {n} more", rest, { list }) : list;
}

// demographics.json folds groups of fewer than 5 speakers into one entry with this key, so
// that nobody can be singled out (docs/dashboard.md).
const SMALL_GROUPS = "small_groups";
/** Entries that are not a group of people like the others: "Not given" and the folded ones. */
const apart = (entry) => entry.key === null || entry.key === SMALL_GROUPS;

/** The name of a group of people in the page's language ("Not given" for those who did not say). */
function groupLabel(entry) {
  if (entry.key === null) return t("Not given");
  if (entry.key === SMALL_GROUPS) {
    const n = published.demographics.minimum_speakers ?? 5;
    return tn("Groups of fewer than {n} speaker each", "Groups of fewer than {n} speakers each", n);
  }
  if (entry.key === "others") return entry.label;
  return GROUP_LABELS[entry.key]?.() ?? entry.label;
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

/** "0.71", "-0.05": alpha to two decimals (the page's locale). */
function alphaText(alpha) {
  return formatNumber(alpha, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
}

/** What an agreement figure rests on, or why there is none (docs/dashboard.md, `agreement`). */
function agreementBasis(agreement, code) {
  if (agreement.undefined === "no_pairs") {
    return code
      ? t("No recording in {language} has been checked by two people yet.", { language: scopeName(code) })
      : t("No recording in all languages has been checked by two people yet.");
  }
  // Translators: {votes}, {recordings} and {validators} are "25 votes", "12 recordings", "3 validators".
  const basis = t("From {votes} on {recordings} checked by at least two people ({validators}).", {
    votes: tn("{n} vote", "{n} votes", agreement.votes),
    recordings: tn("{n} recording", "{n} recordings", agreement.recordings),
    validators: tn("{n} validator", "{n} validators", agreement.validators),
  });
  if (agreement.undefined === "no_variation") {
    const why = t("Every vote so far gave the same answer, so agreement beyond chance cannot be measured yet.");
    return `${why} ${basis}`;
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
    byId("agreement-basis").textContent = t("Published with the next refresh.");
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
    idle > 0
      ? tn("{n} other language has no recordings yet.", "{n} other languages have no recordings yet.", idle)
      : "";
  if (withData.length === 0) {
    showEmpty(container, t("Nothing has been recorded yet."));
    return;
  }
  const rows = withData.map((language) => ({
    label: languageLabel(language.code),
    values: { recorded: language.hours_recorded, validated: language.hours_validated },
    highlight: language.code === code,
    title: t("{language}: {recorded} hours recorded, {validated} validated", {
      language: language.name,
      recorded: hours(language.hours_recorded),
      validated: hours(language.hours_validated),
    }),
  }));
  mountChart(container, {
    legend: HOURS_SERIES,
    draw: (width) =>
      horizontalBars(width, {
        rows,
        series: HOURS_SERIES,
        format: hoursText,
        summary: tn(
          "Hours recorded and validated for {n} language: {list}",
          "Hours recorded and validated for {n} languages: {list}",
          withData.length,
          {
            list: listForSummary(rows, ({ values: v }) =>
              t("{recorded} recorded, {validated} validated", {
                recorded: hours(v.recorded),
                validated: hours(v.validated),
              }),
            ),
          },
        ),
      }),
    table: dataTable(
      t("Hours per language"),
      [
        { label: t("Language") },
        { label: t("Hours recorded"), numeric: true },
        { label: t("Hours validated"), numeric: true },
        { label: t("Recordings"), numeric: true },
        { label: t("Speakers"), numeric: true },
        { label: t("Validators"), numeric: true },
        { label: t("Agreement (α)"), numeric: true },
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

function nothingRecorded(code) {
  return code
    ? t("Nothing has been recorded in {language} yet.", { language: scopeName(code) })
    : t("Nothing has been recorded in all languages yet.");
}

function showTimeseries(code) {
  const points = (code ? published.timeseries.languages[code] : published.timeseries.all) || [];
  const container = byId("chart-timeseries");
  if (points.length === 0) {
    showEmpty(container, nothingRecorded(code));
    return;
  }
  const last = points.at(-1);
  const series = [
    { key: "recorded", name: t("Hours recorded"), value: (point) => point.cumulative_hours_recorded },
    { key: "validated", name: t("Hours validated"), value: (point) => point.cumulative_hours_validated },
  ];
  const totals = {
    language: scopeName(code),
    first: fullDate(points[0].date),
    last: fullDate(last.date),
    recorded: hours(last.cumulative_hours_recorded),
    validated: hours(last.cumulative_hours_validated),
  };
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
          t(
            "{date}: {recorded} hours recorded, {validated} validated in all ({recorded_that_day} and {validated_that_day} that day)",
            {
              date: fullDate(point.date),
              recorded: hours(point.cumulative_hours_recorded),
              validated: hours(point.cumulative_hours_validated),
              recorded_that_day: hours(point.hours_recorded),
              validated_that_day: hours(point.hours_validated),
            },
          ),
        summary: code
          ? tn(
              "Running totals for {language} over {n} day with activity from {first} to {last}: {recorded} hours recorded and {validated} validated.",
              "Running totals for {language} over {n} days with activity from {first} to {last}: {recorded} hours recorded and {validated} validated.",
              points.length,
              totals,
            )
          : tn(
              "Running totals for all languages over {n} day with activity from {first} to {last}: {recorded} hours recorded and {validated} validated.",
              "Running totals for all languages over {n} days with activity from {first} to {last}: {recorded} hours recorded and {validated} validated.",
              points.length,
              totals,
            ),
      }),
    table: dataTable(
      code ? t("Hours per day, {language}", { language: scopeName(code) }) : t("Hours per day, all languages"),
      [
        { label: t("Day (UTC)") },
        { label: t("Hours recorded"), numeric: true },
        { label: t("Hours validated"), numeric: true },
        { label: t("Recordings"), numeric: true },
        { label: t("Accepted"), numeric: true },
        { label: t("Recorded in all"), numeric: true },
        { label: t("Validated in all"), numeric: true },
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

/** "Not given" and the small groups go last, whatever their size. */
function notGivenLast(entries) {
  return [...entries.filter((entry) => !apart(entry)), ...entries.filter(apart)];
}

/** The 15 states with most speakers, the rest summed as one bar, then "Not given". */
function topRegions(entries) {
  const given = entries
    .filter((entry) => !apart(entry))
    .sort((a, b) => b.speakers - a.speakers || b.hours_recorded - a.hours_recorded);
  const rest = given.slice(TOP_REGIONS);
  const shown = given.slice(0, TOP_REGIONS);
  if (rest.length > 0) {
    shown.push({
      key: "others",
      label: tn("{n} other state", "{n} other states", rest.length),
      speakers: rest.reduce((sum, entry) => sum + entry.speakers, 0),
      hours_recorded: rest.reduce((sum, entry) => sum + entry.hours_recorded, 0),
    });
  }
  return [...shown, ...entries.filter(apart)];
}

function byAge(entries) {
  const rank = (entry) => {
    if (entry.key === null) return 99;
    if (entry.key === SMALL_GROUPS) return 98;
    return AGE_ORDER.indexOf(entry.key) + 1 || 50;
  };
  return [...entries].sort((a, b) => rank(a) - rank(b));
}

/** What each chart of people is by: its column's heading and its title, for one language or all. */
const PEOPLE_CHARTS = {
  region: {
    column: () => t("State"),
    title: (language) =>
      language ? t("Speakers by state, {language}", { language }) : t("Speakers by state, all languages"),
  },
  age: {
    column: () => t("Age group"),
    title: (language) =>
      language ? t("Speakers by age group, {language}", { language }) : t("Speakers by age group, all languages"),
  },
  gender: {
    column: () => t("Gender"),
    title: (language) =>
      language ? t("Speakers by gender, {language}", { language }) : t("Speakers by gender, all languages"),
  },
};

function showPeopleChart(containerId, what, entries, code) {
  const container = byId(containerId);
  if (entries.length === 0) {
    const speakers = code ? languages.get(code).speakers : published.summary.totals.speakers;
    // Recordings, but too few people in every group to show any of them.
    const tooFew = tn(
      "Every group has fewer than {n} speaker: none is shown, so that nobody can be singled out.",
      "Every group has fewer than {n} speakers: none is shown, so that nobody can be singled out.",
      published.demographics.minimum_speakers ?? 5,
    );
    showEmpty(container, speakers > 0 ? tooFew : nothingRecorded(code));
    return;
  }
  const chart = PEOPLE_CHARTS[what];
  const title = chart.title(scopeName(code));
  const rows = entries.map((entry) => ({
    label: { text: groupLabel(entry) },
    values: { speakers: entry.speakers },
    muted: apart(entry) || entry.key === "others",
    title: t("{group}: {speakers}, {hours} hours recorded", {
      group: groupLabel(entry),
      speakers: tn("{n} speaker", "{n} speakers", entry.speakers),
      hours: hours(entry.hours_recorded),
    }),
  }));
  mountChart(container, {
    draw: (width) =>
      horizontalBars(width, {
        rows,
        series: [{ key: "speakers", name: t("Speakers") }],
        format: count,
        // Translators: a chart's description for screen readers: its title, then its bars.
        summary: t("{title}: {list}", { title, list: listForSummary(rows, (r) => count(r.values.speakers)) }),
      }),
    table: dataTable(
      title,
      [
        { label: chart.column() },
        { label: t("Speakers"), numeric: true },
        { label: t("Hours recorded"), numeric: true },
      ],
      entries.map((entry) => [groupLabel(entry), count(entry.speakers), hours(entry.hours_recorded)]),
    ),
  });
}

function showDemographics(code) {
  const groups = (code ? published.demographics.languages[code] : published.demographics.all) || {};
  showPeopleChart("chart-regions", "region", topRegions(groups.by_region || []), code);
  showPeopleChart("chart-ages", "age", byAge(groups.by_age_group || []), code);
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
  const figures = tn("{done} of {goal} hour ({percent})", "{done} of {goal} hours ({percent})", language.goal_hours, {
    done: hours(language.hours_validated),
    goal: count(language.goal_hours),
    percent: percent(language.progress),
  });
  text.textContent = language.progress >= 1 ? `${figures} · ${t("goal reached")}` : figures;
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
  if (code && shown.length === 0) note = t("{language} has no goal yet.", { language: languages.get(code).name });
  else if (!code && waiting > 0) {
    note = tn(
      "{n} more language has a goal and no recordings yet.",
      "{n} more languages have a goal and no recordings yet.",
      waiting,
    );
  }
  byId("goals-note").textContent = note;
}

function showScope(code) {
  for (const element of document.querySelectorAll(".scope")) {
    element.replaceChildren();
    if (code) element.append(" · ", ...languageName(languageLabel(code)).slice(0, 1));
  }
}

function drawLeaders() {
  const code = chosenLanguage();
  showLeaders({
    leaderboard: published.leaderboard,
    code,
    scope: scopeName(code),
    languageLabel: (language) => languages.get(language)?.name ?? language,
  });
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
  drawLeaders();
  showTasks(byId("tasks"), byId("tasks-note"), {
    tasks: published.tasks,
    code,
    scope: scopeName(code),
    languages,
  });
}

function onLanguageChosen(event) {
  const url = new URL(location.href);
  if (event.target.value) url.searchParams.set("language", event.target.value);
  else url.searchParams.delete("language");
  history.pushState(null, "", url);
  show();
  const code = chosenLanguage();
  announce(byId("status"), code ? t("Showing {language}.", { language: scopeName(code) }) : t("Showing all languages."));
}

async function load() {
  try {
    published = await loadPublished(base, DOCUMENTS);
    // tasks.json is read apart: a set published before it existed names none, and a failure
    // to read it leaves the rest of the page as it is (the section says why).
    published.tasks = await loadTasks(base, published.manifest).catch((error) => error);
    await loadMyRanks(); // the visitor's own positions (never fails: the section stays hidden)
    // names in the page's language, for every use below
    published.summary.languages = localiseLanguages(published.summary.languages);
    languages = new Map(published.summary.languages.map((language) => [language.code, language]));
    showFilter();
    showUpdated();
    byId("content").hidden = false; // before drawing: charts are drawn at their box's width
    show();
    byId("language").addEventListener("change", onLanguageChosen);
    onBoardChosen(drawLeaders);
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
