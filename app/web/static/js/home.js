// Home page: the headline numbers from the published dashboard summary, and the person's week
// (streak and weekly goals) when they have one. The page is complete without them, so any
// failure (nothing published yet, offline) leaves the block hidden.

import { renderWeek } from "./achievements.js";
import { api } from "./api.js";
import { count, hours, loadPublished } from "./published.js";
import { byId } from "./ui.js";

const block = byId("headline");
const base = (block.dataset.dashboardBase || "").replace(/\/$/, "");

async function showHeadline() {
  try {
    const { summary } = await loadPublished(base, ["summary"]);
    const { totals } = summary;
    const stats = {
      "hours-recorded": hours(totals.hours_recorded),
      "hours-validated": hours(totals.hours_validated),
      speakers: count(totals.speakers),
      languages: count(totals.languages),
    };
    for (const [id, text] of Object.entries(stats)) byId(`home-${id}`).textContent = text;
    block.hidden = false;
  } catch {
    // Not published yet, or unreachable: the language list below is what matters.
  }
}

async function showMyWeek() {
  try {
    const progress = await api("me/progress");
    byId("my-week").hidden = !renderWeek(byId("my-week-body"), progress);
  } catch {
    // Not essential: the home page works without it.
  }
}

showHeadline();
showMyWeek();
