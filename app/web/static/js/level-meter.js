// The live level meter of the speak page (issue #21): while a take is recorded, a Web Audio
// AnalyserNode reads the microphone's stream, a bar (role="meter", aria-valuenow 0–100) shows
// how loud it is, and a polite hint says when the voice is too quiet or the sound clips, before
// the server would refuse the take for it (app/audio/analysis.py: silent, clipped).
//
// The hints change only when the sound has stayed in a state for a while and then stay at least
// HOLD_MS, so that a screen reader hears one sentence per problem, not a stream of them.

import { t } from "./i18n.js";

const FLOOR_DB = -60; // the meter's empty end; 0 dBFS is its full end
const CLIP_LEVEL = 0.999; // the server's (app/audio/decode.py CLIP_LEVEL)
// Too quiet: the loudest moment of the last QUIET_WINDOW_MS under QUIET_ENTER_DB (the server
// refuses a take whose average is under -50 dBFS; speech peaks ~10 dB over its average); over
// QUIET_LEAVE_DB ends it.
const QUIET_WINDOW_MS = 2000;
const QUIET_ENTER_DB = -45;
const QUIET_LEAVE_DB = -40;
// Clipping: over CLIP_ENTER_RATIO of the last CLIP_WINDOW_MS's samples at full scale (the
// server refuses a take past 5 % over all of it); no clipped sample for CLIP_WINDOW_MS ends it.
const CLIP_WINDOW_MS = 1000;
const CLIP_ENTER_RATIO = 0.01;
const HOLD_MS = 2500; // a hint shown stays at least this long
const REDUCED_MOTION_MS = 250; // the bar's update interval when motion is to be reduced
const ARIA_STEP = 5; // aria-valuenow moves by at least this much, so it is not rewritten 60×/s

/** An amplitude (full scale 1.0) in dBFS, -120 for silence. */
export function dbfs(amplitude) {
  return amplitude > 0 ? Math.max(-120, 20 * Math.log10(amplitude)) : -120;
}

/** The meter's 0–100 for a level in dBFS. */
export function meterValue(db) {
  return Math.round(Math.min(1, Math.max(0, (db - FLOOR_DB) / -FLOOR_DB)) * 100);
}

/**
 * Decides which hint a take in progress needs from measured frames: "quiet", "clipping" or
 * "" (none), with hysteresis. Pure, so that it can be reasoned about apart from the audio.
 */
export class LevelHints {
  constructor() {
    this.frames = []; // {at, db, clipped, samples} of the last few seconds
    this.state = "";
    this.shownAt = 0;
    this.startedAt = null;
  }

  /** Add one frame measured at `at` ms; returns the hint to show now. */
  add(at, db, clipped, samples) {
    if (this.startedAt === null) this.startedAt = at;
    this.frames.push({ at, db, clipped, samples });
    const keep = Math.max(QUIET_WINDOW_MS, CLIP_WINDOW_MS);
    while (this.frames.length && this.frames[0].at < at - keep) this.frames.shift();

    const wanted = this.wanted(at);
    if (wanted !== this.state && (this.state === "" || at - this.shownAt >= HOLD_MS)) {
      this.state = wanted;
      this.shownAt = at;
    }
    return this.state;
  }

  wanted(at) {
    let clipped = 0;
    let samples = 0;
    let loudest = -Infinity;
    for (const frame of this.frames) {
      if (frame.at >= at - CLIP_WINDOW_MS) {
        clipped += frame.clipped;
        samples += frame.samples;
      }
      if (frame.at >= at - QUIET_WINDOW_MS) loudest = Math.max(loudest, frame.db);
    }
    if (samples && clipped / samples > CLIP_ENTER_RATIO) return "clipping";
    if (this.state === "clipping" && clipped > 0) return "clipping";
    const heardLongEnough = at - this.startedAt >= QUIET_WINDOW_MS;
    if (heardLongEnough && loudest < QUIET_ENTER_DB) return "quiet";
    if (this.state === "quiet" && loudest < QUIET_LEAVE_DB) return "quiet";
    return "";
  }
}

const reducedMotion = window.matchMedia("(prefers-reduced-motion: reduce)");
let context = null; // one AudioContext for the page: browsers limit how many may exist

/** The meter (`meter`: role="meter" holding a .level-bar) and its hint line (`hint`). */
export class LevelMeter {
  constructor(meter, hint) {
    this.meter = meter;
    this.bar = meter.querySelector(".level-bar");
    this.hint = hint;
    this.stopCurrent = null;
  }

  /** Follow `stream` until the returned function is called (the take ended). */
  listen(stream) {
    this.stop();
    let source;
    let analyser;
    try {
      context ??= new AudioContext();
      context.resume().catch(() => {});
      source = context.createMediaStreamSource(stream);
      analyser = context.createAnalyser();
      analyser.fftSize = 2048;
      source.connect(analyser);
    } catch {
      return () => {}; // no Web Audio here: the take is recorded without a meter
    }
    const samples = new Float32Array(analyser.fftSize);
    const hints = new LevelHints();
    let frame = 0;
    let lastDrawn = -Infinity;
    let shown = 0;
    let ariaValue = -1;
    this.meter.hidden = false;
    this.showHint("");

    const draw = (now) => {
      analyser.getFloatTimeDomainData(samples);
      let sum = 0;
      let peak = 0;
      let clipped = 0;
      for (const sample of samples) {
        const size = Math.abs(sample);
        sum += sample * sample;
        if (size > peak) peak = size;
        if (size >= CLIP_LEVEL) clipped += 1;
      }
      const db = dbfs(Math.sqrt(sum / samples.length));
      this.showHint(hints.add(now, db, clipped, samples.length));

      const every = reducedMotion.matches ? REDUCED_MOTION_MS : 0;
      if (now - lastDrawn >= every) {
        lastDrawn = now;
        // Up at once, down gently (a bar that drops to nothing between syllables flickers);
        // no easing where motion is to be reduced.
        const value = meterValue(db);
        shown = every || value >= shown ? value : Math.max(value, shown - 2);
        this.bar.style.transform = `scaleX(${shown / 100})`;
        this.meter.classList.toggle("clipping", peak >= CLIP_LEVEL);
        if (Math.abs(shown - ariaValue) >= ARIA_STEP || (shown === 0 && ariaValue !== 0)) {
          ariaValue = shown;
          this.meter.setAttribute("aria-valuenow", String(shown));
        }
      }
      frame = requestAnimationFrame(draw);
    };
    frame = requestAnimationFrame(draw);

    const stopThis = () => {
      cancelAnimationFrame(frame);
      source.disconnect();
      this.bar.style.transform = "scaleX(0)";
      this.meter.setAttribute("aria-valuenow", "0");
      this.meter.classList.remove("clipping");
      this.meter.hidden = true;
      this.showHint("");
    };
    this.stopCurrent = stopThis;
    // A take's microphone is released after the next take may have begun: stop only this one.
    return () => {
      if (this.stopCurrent === stopThis) this.stop();
    };
  }

  /** Stop following the stream (safe to call when not listening). */
  stop() {
    if (this.stopCurrent) this.stopCurrent();
    this.stopCurrent = null;
  }

  showHint(state) {
    if (this.hint.dataset.state === state) return;
    this.hint.dataset.state = state;
    this.hint.textContent =
      state === "quiet"
        ? t("We can hardly hear you. Move closer to the microphone or speak a little louder.")
        : state === "clipping"
          ? t("Too loud: the sound is distorted. Move a little further from the microphone.")
          : "";
  }
}
