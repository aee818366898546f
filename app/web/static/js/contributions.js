// My contributions: the person's totals and their contributions, newest first, a page at a
// time. The page number lives in the address (?page=2), so Back and bookmarks work.
// A row of a text task (transcribe, translate, label) carries `task` and `text` (what the person
// typed), shown in place of a recording's sentence.

import { api } from "./api.js";
import { formatNumber, intlLocale, localiseLanguages, t } from "./i18n.js";
import { byId, seconds, showAlert } from "./ui.js";

const root = byId("contributions");
const perPage = Number(root.dataset.perPage);
const page = Math.max(1, Number.parseInt(new URLSearchParams(location.search).get("page") || "1", 10) || 1);

const STATUS_LABELS = {
  pending: () => t("Waiting for checks"),
  accepted: () => t("Accepted"),
  rejected: () => t("Rejected"),
  refused: () => t("Refused"),
};

const TASK_LABELS = {
  // Translators: what kind of contribution a row of "My contributions" is.
  speak: () => t("Recording"),
  transcribe: () => t("Transcription"),
  translate: () => t("Translation"),
  label: () => t("Image label"),
};

const taskLabel = (task) => TASK_LABELS[task]?.() ?? task;
const dateFormat = new Intl.DateTimeFormat(intlLocale, { dateStyle: "medium", timeStyle: "short" });

function showTotals(totals) {
  for (const field of ["recordings", "accepted", "pending", "rejected", "refused", "validations"]) {
    byId(`total-${field}`).textContent = formatNumber(totals[field] ?? 0);
  }
  byId("total-seconds").textContent = seconds((totals.seconds_recorded || 0) * 1000);
}

const TASK_TOTALS = ["answers", "accepted", "pending", "corrections", "validations"];

// A row per typed task the person answered or checked; the section stays hidden for someone
// who only recorded.
function showTaskTotals(tasks) {
  const rows = Object.entries(tasks || {})
    .filter(([, counts]) => counts.answers > 0 || counts.validations > 0)
    .map(([task, counts]) => {
      const row = document.createElement("tr");
      row.dataset.task = task;
      const name = document.createElement("th");
      name.scope = "row";
      name.textContent = taskLabel(task);
      row.append(name);
      for (const field of TASK_TOTALS) {
        const cell = row.insertCell();
        cell.dataset.field = field;
        cell.textContent = formatNumber(counts[field] ?? 0);
      }
      return row;
    });
  byId("task-totals-body").replaceChildren(...rows);
  byId("task-totals").hidden = rows.length === 0;
}

/** "12 of 340" per language × task and period, from GET /api/v1/me/ranks (hidden when none). */
function showRanks(ranks, languageNames) {
  const boards = new Map(); // "hi speak" -> {language, task, week, all}
  for (const rank of ranks) {
    const key = `${rank.language} ${rank.task}`;
    if (!boards.has(key)) boards.set(key, { language: rank.language, task: rank.task });
    boards.get(key)[rank.period] = rank;
  }
  const rows = [...boards.values()].map((board) => {
    const row = document.createElement("tr");
    row.dataset.board = `${board.language} ${board.task}`;
    const name = document.createElement("th");
    name.scope = "row";
    name.textContent = languageNames.get(board.language) || board.language;
    row.append(name);
    row.insertCell().textContent = taskLabel(board.task);
    for (const period of ["week", "all"]) {
      const cell = row.insertCell();
      cell.dataset.period = period;
      const rank = board[period];
      // Translators: a place on a leaderboard, e.g. "12 of 340".
      cell.textContent = rank
        ? t("{rank} of {people}", { rank: formatNumber(rank.rank), people: formatNumber(rank.people) })
        : "–";
    }
    return row;
  });
  byId("ranks-body").replaceChildren(...rows);
  byId("ranks").hidden = rows.length === 0;
}

function renderItem(template, item, languageNames) {
  const node = template.content.firstElementChild.cloneNode(true);
  const field = (name) => node.querySelector(`[data-field="${name}"]`);

  const typed = item.task && item.task !== "speak" && typeof item.text === "string";
  const sentence = field("sentence");
  sentence.textContent = typed ? item.text : item.sentence;
  sentence.lang = item.language;
  sentence.dir = "auto"; // the language list knows the direction, but "auto" is right for text

  const status = field("status");
  status.textContent = STATUS_LABELS[item.status]?.() ?? item.status;
  status.classList.add(`status-${item.status}`);

  const languageName = languageNames.get(item.language) || item.language;
  field("language").textContent = item.task ? `${taskLabel(item.task)} · ${languageName}` : languageName;
  const duration = field("duration");
  if (typed) {
    duration.nextSibling?.remove(); // its " · "
    duration.remove(); // typed work has no length to show
  } else {
    // Translators: a recording's length in seconds, e.g. "4.2 s".
    duration.textContent = item.duration_ms ? t("{seconds} s", { seconds: seconds(item.duration_ms) }) : "–";
  }
  const accepted = formatNumber(item.accept_count);
  const rejected = formatNumber(item.reject_count);
  field("votes").textContent = `${accepted} ✓ ${rejected} ✗`;
  // Translators: how many validators said a recording matches its sentence, and how many not.
  field("votes").title = t("{accepted} said correct, {rejected} said incorrect", { accepted, rejected });

  const created = field("created_at");
  created.dateTime = item.created_at;
  created.textContent = dateFormat.format(new Date(item.created_at));

  if (item.reason) {
    const reason = field("reason");
    reason.textContent = item.reason;
    reason.hidden = false;
  }
  return node;
}

function showPager(total) {
  const pages = Math.max(1, Math.ceil(total / perPage));
  byId("page-info").textContent = t("Page {page} of {pages}", {
    page: formatNumber(Math.min(page, pages)),
    pages: formatNumber(pages),
  });
  const link = (id, target) => {
    const anchor = byId(id);
    anchor.hidden = target < 1 || target > pages;
    anchor.href = `?page=${target}`;
  };
  link("prev", page - 1);
  link("next", page + 1);
  byId("pager").hidden = pages <= 1;
}

async function load() {
  try {
    // Language names are only a nicety: without them the codes are shown.
    const languages = api("languages").catch(() => ({ languages: [] }));
    // Positions too: the page works without them.
    const ranks = api("me/ranks").catch(() => ({ ranks: [] }));
    const [me, list, { languages: known }, { ranks: mine }] = await Promise.all([
      api("me"),
      api(`me/contributions?page=${page}&per_page=${perPage}`),
      languages,
      ranks,
    ]);
    showTotals(me.totals);
    showTaskTotals(me.tasks);
    const names = new Map(localiseLanguages(known).map((language) => [language.code, language.name]));
    showRanks(mine, names);
    const template = byId("item-template");
    byId("list").replaceChildren(...list.contributions.map((item) => renderItem(template, item, names)));
    byId("empty").hidden = list.total > 0;
    showPager(list.total);
  } catch (error) {
    showAlert(byId("alert"), error.message);
  } finally {
    byId("loading").hidden = true;
  }
}

load();
