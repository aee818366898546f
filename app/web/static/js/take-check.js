// A light, in-browser version of the check the server runs on every take (app/audio/analysis.py),
// so that a take the server would refuse is flagged before it is uploaded (issue #21). The take
// is decoded with Web Audio, then judged by the server's rules in the server's order: too short,
// silent, clipped, no speech; the message is the server's own (same msgid, same translation).
//
// The server stays the authority: its speech check is a neural detector, this one only energy
// and zero crossings, made lenient (it should flag silence and a muted microphone, never a real
// reading); a volunteer may send a flagged take anyway. A take this browser cannot decode is not
// flagged.

import { t } from "./i18n.js";

// The server's limits (app/audio/analysis.py AudioLimits, app/audio/decode.py CLIP_LEVEL).
export const LIMITS = {
  minMs: 1000,
  silenceRmsDbfs: -50,
  clipLevel: 0.999,
  maxClippingRatio: 0.05,
  minSpeechRunMs: 250,
  minSpeechRatio: 0.05,
};
const DECODE_RATE = 48000; // what browsers record Opus at: decoding does not resample it
const FRAME_MS = 32; // the server's detector scores 32 ms windows
// A frame is voiced when it is SPEECH_OVER_FLOOR_DB over the take's quietest tenth (the room)
// and over SPEECH_MIN_DBFS, and crosses zero as a voice does: more often than mains hum and
// rumble, less often than hiss and white noise.
const SPEECH_OVER_FLOOR_DB = 6;
const SPEECH_MIN_DBFS = -55;
const ZERO_CROSSINGS_PER_S = [150, 5000];
const BRIDGE_FRAMES = 2; // a gap this short (64 ms, between syllables) does not end a run

function dbfs(amplitude) {
  return amplitude > 0 ? Math.max(-120, 20 * Math.log10(amplitude)) : -120;
}

/**
 * What the server measures, from decoded channels (Float32Arrays at `rate`): durationMs,
 * rmsDbfs, clippingRatio, speechRatio (share of voiced 32 ms frames) and speechRunMs (the
 * longest voiced stretch).
 */
export function measure(channels, rate) {
  const length = channels[0].length;
  const mono = new Float32Array(length);
  let clipped = 0;
  for (const channel of channels) {
    for (let i = 0; i < length; i += 1) {
      mono[i] += channel[i] / channels.length;
      if (Math.abs(channel[i]) >= LIMITS.clipLevel) clipped += 1;
    }
  }
  let sum = 0;
  for (const sample of mono) sum += sample * sample;

  const size = Math.round((rate * FRAME_MS) / 1000);
  const frames = [];
  for (let start = 0; start + size <= length; start += size) {
    let energy = 0;
    let crossings = 0;
    for (let i = start; i < start + size; i += 1) {
      energy += mono[i] * mono[i];
      if (i > start && (mono[i] >= 0) !== (mono[i - 1] >= 0)) crossings += 1;
    }
    frames.push({ db: dbfs(Math.sqrt(energy / size)), crossingsPerS: (crossings * rate) / size });
  }
  const sorted = frames.map((frame) => frame.db).sort((a, b) => a - b);
  const floor = sorted.length ? sorted[Math.floor(sorted.length / 10)] : -120;
  const threshold = Math.max(floor + SPEECH_OVER_FLOOR_DB, SPEECH_MIN_DBFS);
  const [fewest, most] = ZERO_CROSSINGS_PER_S;
  const voiced = frames.map((f) => f.db >= threshold && f.crossingsPerS >= fewest && f.crossingsPerS <= most);

  let longest = 0;
  let runStart = -1;
  let lastVoiced = -Infinity;
  voiced.forEach((isVoiced, i) => {
    if (!isVoiced) return;
    if (i - lastVoiced > BRIDGE_FRAMES + 1) runStart = i;
    lastVoiced = i;
    longest = Math.max(longest, i - runStart + 1);
  });
  return {
    durationMs: (length / rate) * 1000,
    rmsDbfs: dbfs(Math.sqrt(sum / Math.max(length, 1))),
    clippingRatio: clipped / Math.max(length * channels.length, 1),
    speechRatio: frames.length ? voiced.filter(Boolean).length / frames.length : 0,
    speechRunMs: longest * FRAME_MS,
  };
}

/** A duration as the server writes it in a refusal ("0.4 seconds", "1 second"). */
function secondsText(ms, rounding) {
  const tenths = rounding(Math.round((ms / 100) * 1e6) / 1e6);
  const count = tenths % 10 === 0 ? String(tenths / 10) : (tenths / 10).toFixed(1);
  if (count === "1") return t("1 second");
  // Translators: a duration; {count} is a number of seconds such as 0.4, 2 or 15.5.
  return t("{count} seconds", { count });
}

/** The server's verdict on these measures: null (kept) or {code, message} (refused). */
export function verdict(measures) {
  if (measures.durationMs < LIMITS.minMs) {
    const length = secondsText(measures.durationMs, Math.floor);
    const minimum = secondsText(LIMITS.minMs, Math.floor);
    return {
      code: "too_short",
      // Translators: {length} and {minimum} are durations such as "0.4 seconds" or "1 second".
      message: t(
        "Your recording is only {length} long. Please read the whole sentence; recordings must be at least {minimum}.",
        { length, minimum },
      ),
    };
  }
  if (measures.rmsDbfs < LIMITS.silenceRmsDbfs) {
    return {
      code: "silent",
      message: t(
        "We couldn't hear anything in your recording. Please check your microphone is on and not muted, then try again.",
      ),
    };
  }
  if (measures.clippingRatio > LIMITS.maxClippingRatio) {
    return {
      code: "clipped",
      message: t(
        "Your recording sounds distorted because the microphone level is too high. Please move a little further from the microphone and try again.",
      ),
    };
  }
  if (measures.speechRunMs < LIMITS.minSpeechRunMs || measures.speechRatio < LIMITS.minSpeechRatio) {
    return {
      code: "no_speech",
      message: t(
        "We couldn't hear anyone speaking in your recording, only other sounds. Please read the sentence aloud, close to the microphone, and try again.",
      ),
    };
  }
  return null;
}

/** Decode a recorded take and judge it: null when it passes or cannot be decoded here. */
export async function checkTake(blob) {
  let audio;
  try {
    const context = new OfflineAudioContext(1, 1, DECODE_RATE);
    audio = await context.decodeAudioData(await blob.arrayBuffer());
  } catch {
    return null; // the server will say
  }
  if (!audio.length) return null;
  const channels = [];
  for (let c = 0; c < audio.numberOfChannels; c += 1) channels.push(audio.getChannelData(c));
  return verdict(measure(channels, audio.sampleRate));
}
