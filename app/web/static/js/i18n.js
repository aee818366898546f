// The interface's messages for the page scripts (issue #19, docs/i18n.md). The page's locale
// is <html lang>; its catalog is the JSON named by <meta name="i18n-catalog">, made from the
// same gettext catalogs the server reads (no second translation system). English needs none:
// a message's id is its English text.
//
//   t("Recording saved.")                      a message
//   t("Sentence {n} of {total}", { n, total }) with {placeholders}
//   tn("{n} recording", "{n} recordings", n)   a count: the locale's plural rule picks the form
//   formatNumber(1234567)                      "12,34,567" in Indian locales, Latin digits

export const locale = document.documentElement.lang || "en";
export const direction = document.documentElement.dir || "ltr";

async function loadMessages() {
  const url = document.querySelector('meta[name="i18n-catalog"]')?.content;
  if (locale === "en" || !url) return {};
  try {
    const response = await fetch(url, { credentials: "same-origin" });
    if (!response.ok) return {};
    return (await response.json()).messages || {};
  } catch {
    return {}; // offline or failed: the English is better than nothing
  }
}

const messages = await loadMessages();
const plurals = new Intl.PluralRules(locale);
// Latin digits by default (docs/i18n.md; INTERFACE_DIGITS=native gives the locale's own, as
// <html data-numbering> says), in numbers and dates alike; grouping, names of months and the
// rest are the locale's own. Pass it to any Intl formatter.
const numbering = document.documentElement.dataset.numbering || "latn";
export const intlLocale = `${locale}-u-nu-${numbering}`;

function fill(text, params) {
  return text.replace(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (whole, name) =>
    Object.hasOwn(params, name) ? String(params[name]) : whole,
  );
}

/** `msgid` in the page's language, with `{name}` placeholders filled from `params`. */
export function t(msgid, params = {}) {
  const text = messages[msgid];
  return fill(typeof text === "string" && text ? text : msgid, params);
}

/** A message about `n` things: the form the locale's plural rule picks; `{n}` is `n`. */
export function tn(singular, plural, n, params = {}) {
  const forms = messages[singular];
  let text = n === 1 ? singular : plural;
  if (forms && typeof forms === "object") text = forms[plurals.select(n)] || forms.other || text;
  return fill(text, { n: formatNumber(n), ...params });
}

/** A number as the page's locale writes it (grouping, decimal sign), in Latin digits. */
export function formatNumber(value, options = {}) {
  return new Intl.NumberFormat(intlLocale, options).format(value);
}

const displayNames = locale === "en" ? null : new Intl.DisplayNames([locale], { type: "language", fallback: "none" });

/**
 * A contribution language's name in the page's language ("ഹിന്ദി" for Hindi on a Malayalam
 * page, from the browser's CLDR data), else `english` (the name the API gives). English pages
 * keep the API's name, as the server's templates do.
 */
export function languageName(code, english) {
  if (!displayNames) return english;
  try {
    return displayNames.of(code) || english;
  } catch {
    return english; // a code Intl does not accept
  }
}

/** The API's language entries with `name` in the page's language (see languageName). */
export function localiseLanguages(entries) {
  return entries.map((entry) => ({ ...entry, name: languageName(entry.code, entry.name) }));
}
