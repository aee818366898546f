// Reading the published dashboard files (docs/dashboard.md): the manifest first, then the
// versioned files it names. They come from the CDN (CDN_BASE_URL) or, in embedded mode, from
// this app's /public/ route; either way they are static files, never a database query.
// Also the number formats the dashboard and the home page share, in the page's locale.

import { formatNumber, intlLocale, t } from "./i18n.js";

/** Nothing has been published yet (the first refresh has not run). */
export class NotPublishedYet extends Error {}

const MANIFEST = "public/dashboard/manifest.json";

async function getJSON(url, init = {}) {
  let response;
  try {
    response = await fetch(url, { credentials: "omit", headers: { Accept: "application/json" }, ...init });
  } catch {
    throw new Error(t("We could not load the dashboard. Check your connection and reload the page."));
  }
  // A bucket behind a CDN answers 403 for a missing object when listing is not allowed.
  if (response.status === 404 || response.status === 403) throw new NotPublishedYet(url);
  if (!response.ok) {
    throw new Error(t("The dashboard could not be loaded (the server answered {status}).", { status: response.status }));
  }
  return response.json();
}

function fetchDocuments(base, manifest, names) {
  return Promise.all(names.map((name) => getJSON(`${base}/${manifest.files[name]}`)));
}

/**
 * The manifest and the named documents ({manifest, summary, …}). Throws NotPublishedYet before
 * the first refresh, Error (with a sentence for people) for anything else.
 */
export async function loadPublished(base, names) {
  let manifest = await getJSON(`${base}/${MANIFEST}`);
  let documents;
  try {
    documents = await fetchDocuments(base, manifest, names);
  } catch (error) {
    if (!(error instanceof NotPublishedYet)) throw error;
    // A cached manifest may name a version that has since been pruned: ask again, uncached.
    manifest = await getJSON(`${base}/${MANIFEST}`, { cache: "no-cache" });
    documents = await fetchDocuments(base, manifest, names);
  }
  return { manifest, ...Object.fromEntries(names.map((name, i) => [name, documents[i]])) };
}

/** "1,234" ("12,34,567" in Indian locales). */
export function count(n) {
  return formatNumber(Number(n || 0));
}

/** Hours with as many decimals as a number of that size deserves: "1,234", "56.7", "0.25". */
export function hours(h) {
  const value = Number(h || 0);
  const digits = value >= 100 ? 0 : value >= 10 ? 1 : 2;
  return formatNumber(value, { maximumFractionDigits: digits });
}

/** "0.2%", "<0.1%", "100%" for a share between 0 and 1 (or more). */
export function percent(share) {
  const options = { style: "percent", maximumFractionDigits: 1 };
  if (share > 0 && share < 0.001) return `<${formatNumber(0.001, options)}`;
  return formatNumber(Number(share), options);
}

const UNITS = [
  ["day", 86_400],
  ["hour", 3_600],
  ["minute", 60],
];

/** "3 hours ago", "yesterday", "just now" for an ISO timestamp. */
export function relativeTime(iso, now = Date.now()) {
  const seconds = (new Date(iso).getTime() - now) / 1000;
  const format = new Intl.RelativeTimeFormat(intlLocale, { numeric: "auto" });
  for (const [unit, size] of UNITS) {
    if (Math.abs(seconds) >= size) return format.format(Math.round(seconds / size), unit);
  }
  return t("just now");
}

/** "25 Nov 2026, 16:00" in the reader's time zone. */
export function dateTime(iso) {
  return new Intl.DateTimeFormat(intlLocale, { dateStyle: "medium", timeStyle: "short" }).format(new Date(iso));
}
