// The dashboard's leaderboards: leaderboard.json (docs/dashboard.md) has a board per language ×
// task × period naming only people who opted in, shown from 5 of them. The visitor's own
// positions come from GET /api/v1/me/ranks (read once; empty without a session): the one
// thing on this page that is not a published file, and the page works without it.

import { api } from "./api.js";
import { dataTable } from "./charts.js";
import { formatNumber, t, tn } from "./i18n.js";
import { count } from "./published.js";
import { byId } from "./ui.js";

let mine = null; // {ranks, as_of} from the API, or null until read (or when it failed)

/** Read the visitor's positions once; the section stays hidden if that fails. */
export async function loadMyRanks() {
  try {
    mine = await api("me/ranks");
  } catch {
    mine = null;
  }
}

function waitingForNames(leaderboard) {
  return tn(
    "This board appears once {n} person who chose to show their display name has taken part.",
    "This board appears once {n} people who chose to show their display name have taken part.",
    leaderboard.minimum_people,
  );
}

function boardTable(board, scope) {
  const table = dataTable(
    t("Top contributors, {language}", { language: scope }),
    [
      { label: t("Rank"), numeric: true },
      { label: t("Name") },
      { label: t("Contributions"), numeric: true },
      { label: t("Checks"), numeric: true },
      { label: t("Accepted"), numeric: true },
    ],
    board.contributors.map((person) => [
      formatNumber(person.rank),
      person.display_name,
      count(person.contributions),
      count(person.votes),
      count(person.accepted),
    ]),
  );
  table.querySelector("table").classList.add("leaderboard");
  // Names are whatever people typed, in any script: let the browser pick the direction.
  for (const cell of table.querySelectorAll("tbody td:nth-child(2)")) cell.dir = "auto";
  return table;
}

/** The board of the chosen language, task and period, or why there is none. */
function showBoard(leaderboard, code, scope, task, period) {
  const note = byId("leaders-note");
  const container = byId("leaders");
  container.replaceChildren();
  if (!code) {
    note.textContent = t("Choose a language above to see its top contributors.");
    return;
  }
  const board = leaderboard.languages?.[code]?.[task]?.[period];
  if (!board || !board.shown) {
    note.textContent = waitingForNames(leaderboard);
    return;
  }
  note.textContent = tn(
    "Ranked among everyone who took part ({n} person) by contributions plus checks; only people who chose to show their display name are listed.",
    "Ranked among everyone who took part ({n} people) by contributions plus checks; only people who chose to show their display name are listed.",
    board.people,
  );
  container.append(boardTable(board, scope));
}

/** The visitor's positions for the chosen task and period (and language, when one is chosen). */
function showMine(code, task, period, languageLabel) {
  const section = byId("my-ranks");
  if (!mine || mine.ranks.length === 0) {
    section.hidden = true;
    return;
  }
  section.hidden = false;
  const ranks = mine.ranks.filter(
    (rank) => rank.task === task && rank.period === period && (!code || rank.language === code),
  );
  const items = ranks.map((rank) => {
    const item = document.createElement("li");
    // Translators: the visitor's position on one board, e.g. "Hindi: 12 of 340".
    item.textContent = t("{language}: {rank} of {people}", {
      language: languageLabel(rank.language),
      rank: formatNumber(rank.rank),
      people: formatNumber(rank.people),
    });
    return item;
  });
  byId("my-ranks-list").replaceChildren(...items);
  byId("my-ranks-note").textContent =
    items.length === 0
      ? t("You have no position on this board yet.")
      : t("As of the last update of this page's numbers: what you did since counts next time.");
}

/**
 * Draw the leaderboard section for `code` ("" = all languages), with the task and period
 * chosen in its own selects; `languageLabel(code)` names a language in the page's language.
 */
export function showLeaders({ leaderboard, code, scope, languageLabel }) {
  const task = byId("board-task").value;
  const period = byId("board-period").value;
  showBoard(leaderboard, code, scope, task, period);
  showMine(code, task, period, languageLabel);
}

/** Redraw when the task or period changes. */
export function onBoardChosen(redraw) {
  for (const id of ["board-task", "board-period"]) byId(id).addEventListener("change", redraw);
}
