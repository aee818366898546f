// Charts as hand-written SVG (docs/adr/0005-dashboard-charts.md): horizontal bars for
// categories and a step line for running totals. Each chart is drawn at the pixel width of its
// box (so text keeps its real size on a phone) and redrawn when that width changes; every
// chart is role="img" with a summary, and its numbers are also a real table ("Show as table").
// Colours live in site.css (classes only: the page's CSP allows no inline styles).

import { t } from "./i18n.js";

const SVG_NS = "http://www.w3.org/2000/svg";
const FONT_SIZE = 14;
const SMALL_SIZE = 12;
const DAY_MS = 86_400_000;
const MAX_DOTS = 120; // beyond this many days the dots are noise; the table has the values

/** An SVG element with attributes (undefined/null ones left out) and optional text. */
export function svgElement(name, attributes = {}, text = undefined) {
  const element = document.createElementNS(SVG_NS, name);
  for (const [key, value] of Object.entries(attributes)) {
    if (value !== undefined && value !== null) element.setAttribute(key, String(value));
  }
  if (text !== undefined) element.textContent = text;
  return element;
}

/** A native tooltip: <title> as the element's first child. */
function withTitle(element, text) {
  element.prepend(svgElement("title", {}, text));
  return element;
}

let measuringContext = null;
let fontFamily = null;

/** Width in px of `text` in the page's font (a canvas measures without touching layout). */
function textWidth(text, size = FONT_SIZE) {
  measuringContext ??= document.createElement("canvas").getContext("2d");
  fontFamily ??= getComputedStyle(document.body).fontFamily;
  measuringContext.font = `${size}px ${fontFamily}`;
  return measuringContext.measureText(text).width;
}

/**
 * A chart label: `text` (in language `lang` when given) and an optional muted `note` after
 * it, e.g. the English name after the native one. The label keeps the page's left-to-right
 * base direction: the Unicode bidi algorithm already lays out a right-to-left name within it,
 * while `direction` on an SVG tspan moves the anchor and mangles the line in Chromium.
 */
function labelElement(label, attributes) {
  const text = svgElement("text", attributes);
  const main = svgElement("tspan", { lang: label.lang }, label.text);
  text.append(main);
  if (label.note) text.append(svgElement("tspan", { class: "chart-note" }, ` ${label.note}`));
  return text;
}

function labelWidth(label) {
  return textWidth(label.text) + (label.note ? textWidth(` ${label.note}`) : 0);
}

function chartRoot(width, height, summary) {
  return svgElement("svg", {
    class: "chart-svg",
    viewBox: `0 0 ${width} ${height}`,
    width,
    height,
    role: "img",
    "aria-label": summary,
  });
}

/**
 * Horizontal bars, one group per row, one bar per series (drawn at the box's `width`).
 * rows: [{label: {text, lang, dir, note}, values: {seriesKey: number}, title, highlight, muted}]
 * series: [{key, name}] (a bar gets the classes "bar bar-<key>"); `format` writes a value.
 * Labels sit left of the bars when they fit, above them otherwise (phones).
 */
export function horizontalBars(width, { rows, series, format, summary }) {
  const values = rows.flatMap((row) => series.map((s) => row.values[s.key] || 0));
  const maxValue = Math.max(...values, 0) || 1;
  const valueColumn = Math.max(...values.map((v) => textWidth(format(v), SMALL_SIZE)), 0) + 8;
  const widest = Math.max(...rows.map((row) => labelWidth(row.label)), 0);
  const labelsBeside = width >= 520 && widest <= width * 0.35;
  const labelColumn = labelsBeside ? Math.ceil(widest) + 12 : 0;
  const labelRow = labelsBeside ? 0 : FONT_SIZE + 6;
  const barHeight = series.length > 1 ? 13 : 18;
  const barGap = 3;
  const barsHeight = series.length * barHeight + (series.length - 1) * barGap;
  const rowHeight = labelRow + barsHeight + (labelsBeside ? 10 : 14);
  const plotWidth = Math.max(40, width - labelColumn - valueColumn);
  const height = rows.length * rowHeight;

  const root = chartRoot(width, height, summary);
  rows.forEach((row, index) => {
    const top = index * rowHeight + (labelsBeside ? 5 : 2);
    const classes = ["chart-row", row.highlight && "highlight", row.muted && "muted"];
    const group = svgElement("g", { class: classes.filter(Boolean).join(" ") });
    if (row.title) withTitle(group, row.title);
    group.append(
      labelsBeside
        ? labelElement(row.label, {
            x: labelColumn - 10,
            y: top + barsHeight / 2,
            "text-anchor": "end",
            "dominant-baseline": "central",
            class: "chart-label",
          })
        : labelElement(row.label, { x: 0, y: top + FONT_SIZE, class: "chart-label" }),
    );
    series.forEach((s, position) => {
      const value = row.values[s.key] || 0;
      const y = top + labelRow + position * (barHeight + barGap);
      // A value too small to see still gets a sliver, so "some" never looks like "none".
      const barWidth = value > 0 ? Math.max(2, (value / maxValue) * plotWidth) : 0;
      group.append(
        svgElement("rect", {
          class: `bar bar-${s.key}`,
          x: labelColumn,
          y,
          width: barWidth.toFixed(1),
          height: barHeight,
          rx: 2,
          "data-value": value,
        }),
        svgElement(
          "text",
          {
            class: "chart-value",
            x: labelColumn + barWidth + 4,
            y: y + barHeight / 2,
            "dominant-baseline": "central",
          },
          format(value),
        ),
      );
    });
    root.append(group);
  });
  return root;
}

/** A round step for about `count` ticks from 0 to `max`: 1, 2, 2.5 or 5 times a power of 10. */
function niceStep(max, count) {
  const raw = max / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const fraction = raw / power;
  const nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 2.5 ? 2.5 : fraction <= 5 ? 5 : 10;
  return nice * power;
}

function utcDay(isoDate) {
  return Date.parse(`${isoDate}T00:00:00Z`);
}

/**
 * Running totals over time as step lines (a total holds until the next day with activity).
 * points: [{date: "YYYY-MM-DD", ...}] oldest first; series: [{key, name, value(point)}], the
 * first one also shaded below. `until` (ISO date) extends the lines to that day; `dayLabel`,
 * `format` and `pointTitle(point)` write dates, values and the dots' tooltips.
 */
export function stepLines(width, { points, series, until, format, dayLabel, pointTitle, summary }) {
  const height = Math.round(Math.min(320, Math.max(200, width * 0.45)));
  const days = points.map((point) => utcDay(point.date));
  let start = days[0];
  const end = Math.max(days.at(-1), until ? utcDay(until) : 0);
  if (end - start < DAY_MS) start = end - DAY_MS; // one day: give the line some length
  const maxValue = Math.max(...points.flatMap((point) => series.map((s) => s.value(point))), 0);
  const step = niceStep(maxValue || 1, 4);
  const top = Math.max(step, Math.ceil(maxValue / step - 1e-9) * step);
  const ticks = [];
  for (let tick = 0; tick <= top + step / 2; tick += step) ticks.push(tick);

  const margin = {
    left: Math.ceil(Math.max(...ticks.map((tick) => textWidth(format(tick), SMALL_SIZE)))) + 10,
    right: Math.ceil(textWidth(dayLabel(end), SMALL_SIZE) / 2) + 4,
    top: 10,
    bottom: 26,
  };
  const plotWidth = width - margin.left - margin.right;
  const plotHeight = height - margin.top - margin.bottom;
  const x = (day) => margin.left + ((day - start) / (end - start)) * plotWidth;
  const y = (value) => margin.top + plotHeight - (value / top) * plotHeight;

  const root = chartRoot(width, height, summary);
  for (const tick of ticks) {
    root.append(
      svgElement("line", {
        class: tick === 0 ? "axis" : "grid",
        x1: margin.left,
        x2: width - margin.right,
        y1: y(tick),
        y2: y(tick),
      }),
      svgElement(
        "text",
        { class: "axis-label", x: margin.left - 6, y: y(tick), "text-anchor": "end", "dominant-baseline": "central" },
        format(tick),
      ),
    );
  }
  // Date ticks a whole number of days apart, about 90 px or more from each other.
  const spanDays = Math.round((end - start) / DAY_MS);
  const everyDays = Math.max(1, Math.ceil(spanDays / Math.max(1, Math.floor(plotWidth / 90))));
  for (let offset = 0; offset <= spanDays; offset += everyDays) {
    const day = start + offset * DAY_MS;
    const fitsCentred = x(day) >= textWidth(dayLabel(day), SMALL_SIZE) / 2;
    const anchor = fitsCentred ? "middle" : "start";
    root.append(
      svgElement("line", { class: "axis", x1: x(day), x2: x(day), y1: y(0), y2: y(0) + 4 }),
      svgElement("text", { class: "axis-label", x: x(day), y: height - 6, "text-anchor": anchor }, dayLabel(day)),
    );
  }

  series.forEach((s, position) => {
    let path = `M${x(days[0]).toFixed(1)},${y(0).toFixed(1)}`;
    points.forEach((point, i) => {
      path += `H${x(days[i]).toFixed(1)}V${y(s.value(point)).toFixed(1)}`;
    });
    path += `H${x(end).toFixed(1)}`;
    if (position === 0) {
      root.append(svgElement("path", { class: `area area-${s.key}`, d: `${path}V${y(0).toFixed(1)}Z` }));
    }
    root.append(svgElement("path", { class: `line line-${s.key}`, d: path, "data-points": points.length }));
  });
  if (points.length <= MAX_DOTS) {
    points.forEach((point, i) => {
      for (const s of series) {
        const dot = svgElement("circle", { class: `dot dot-${s.key}`, cx: x(days[i]), cy: y(s.value(point)), r: 3.5 });
        root.append(withTitle(dot, pointTitle(point)));
      }
    });
  }
  return root;
}

/**
 * A data table for a chart. columns: [{label, numeric}]; a cell is a string or
 * {text, lang, dir, note} (a language name). The caption names what the table shows.
 */
export function dataTable(caption, columns, rows) {
  const table = document.createElement("table");
  table.className = "data-table";
  table.createCaption().textContent = caption;
  const headRow = table.createTHead().insertRow();
  for (const column of columns) {
    const th = document.createElement("th");
    th.scope = "col";
    th.textContent = column.label;
    if (column.numeric) th.className = "numeric";
    headRow.append(th);
  }
  const body = table.createTBody();
  for (const cells of rows) {
    const row = body.insertRow();
    cells.forEach((cell, index) => {
      const element = document.createElement(index === 0 ? "th" : "td");
      if (index === 0) element.scope = "row";
      if (columns[index].numeric) element.className = "numeric";
      if (cell && typeof cell === "object") element.append(...languageName(cell));
      else element.textContent = String(cell);
      row.append(element);
    });
  }
  const wrapper = document.createElement("div");
  wrapper.className = "table-scroll";
  wrapper.append(table);
  return wrapper;
}

/** A name in its own script (with lang and dir) followed by a muted note, as HTML nodes. */
export function languageName({ text, lang, dir, note }) {
  const main = document.createElement("span");
  main.textContent = text;
  if (lang) main.lang = lang;
  if (dir) main.dir = dir;
  if (!note) return [main];
  const english = document.createElement("span");
  english.className = "english";
  english.textContent = ` ${note}`;
  return [main, english];
}

const observers = new WeakMap();

/**
 * Put a chart into `container`: an optional legend ([{key, name}]), the drawing (`draw(width)`
 * returns an <svg>; called again whenever the box's width changes) and the table behind a
 * "Show as table" toggle.
 */
export function mountChart(container, { draw, legend = [], table }) {
  observers.get(container)?.disconnect();
  const parts = [];
  if (legend.length) {
    const list = document.createElement("ul");
    list.className = "chart-legend";
    for (const item of legend) {
      const entry = document.createElement("li");
      const swatch = document.createElement("span");
      swatch.className = `swatch swatch-${item.key}`;
      swatch.setAttribute("aria-hidden", "true");
      entry.append(swatch, item.name);
      list.append(entry);
    }
    parts.push(list);
  }
  const canvas = document.createElement("div");
  canvas.className = "chart-canvas";
  parts.push(canvas);
  if (table) {
    const details = document.createElement("details");
    details.className = "chart-table";
    const summary = document.createElement("summary");
    summary.textContent = t("Show as table");
    details.append(summary, table);
    parts.push(details);
  }
  container.replaceChildren(...parts);

  let drawnWidth = 0;
  const redraw = () => {
    const width = Math.floor(canvas.clientWidth);
    if (width > 0 && width !== drawnWidth) {
      drawnWidth = width;
      canvas.replaceChildren(draw(width));
    }
  };
  const observer = new ResizeObserver(() => requestAnimationFrame(redraw));
  observer.observe(canvas);
  observers.set(container, observer);
  redraw();
}

/** Replace a chart (or anything) in `container` with a short note, e.g. "No recordings yet." */
export function showEmpty(container, text) {
  observers.get(container)?.disconnect();
  const note = document.createElement("p");
  note.className = "empty";
  note.textContent = text;
  container.replaceChildren(note);
}
