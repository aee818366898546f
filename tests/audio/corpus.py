"""A labelled corpus for the speech check: uploads that are speech and uploads that are not,
built at test time from seeded generators, so every run measures the same corpus.

Speech: espeak-ng reading short sentences in thirteen languages with several voices, speeds and
pitches, and the clips of tests/data/audio (espeak-ng, plus one human voice); each at 8, 16,
22.05, 44.1 or 48 kHz, with a pause before and after as a volunteer leaves, at its own level or
20 dB quieter, some with mild background noise (pink, 20 dB under the voice), some as opus.

Not speech: white, pink and brown noise, pure tones, beeps, chirps, music-like chords, mains
hum, clicks, silence, mixtures of these, and what Chromium's fake microphone records.
"""

from __future__ import annotations

import csv
import re
import shutil
import subprocess
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from tests.audio.sounds import Samples, clip_bytes, encode, read_wav, wav_bytes
from tests.conftest import PROJECT_ROOT

RATES = (8000, 16000, 22050, 44100, 48000)
SENTENCES = PROJECT_ROOT / "tests" / "data" / "sentences"
REAL_WAVS = [f"{lang}_{i}.wav" for lang in ("hi", "en") for i in range(1, 5)] + [
    "upstream_test.wav"
]
# Languages whose sentences are written here (the others come from tests/data/sentences).
WRITTEN = {
    "mr": [
        "पुणे हे महाराष्ट्रातील एक मोठे शहर आहे",
        "आज सकाळी पाऊस पडला आणि हवा थंड झाली",
        "माझ्या आईने आज स्वादिष्ट जेवण बनवले",
        "शाळेत मुले रोज नवीन गोष्टी शिकतात",
    ],
    "ur": [
        "ہندوستان میں اردو بہت سے لوگ بولتے ہیں",
        "آج موسم بہت خوشگوار ہے",
        "میں روزانہ صبح سیر کے لیے جاتا ہوں",
        "کتابیں پڑھنا ایک اچھی عادت ہے",
    ],
    "gu": [
        "અમદાવાદ ગુજરાતનું સૌથી મોટું શહેર છે",
        "આજે હવામાન ખૂબ સરસ છે",
        "મને પુસ્તકો વાંચવાનો શોખ છે",
        "બાળકો મેદાનમાં રમી રહ્યા છે",
    ],
    "kn": [
        "ಬೆಂಗಳೂರು ಕರ್ನಾಟಕದ ರಾಜಧಾನಿ ನಗರವಾಗಿದೆ",
        "ಇಂದು ಹವಾಮಾನ ತುಂಬಾ ಚೆನ್ನಾಗಿದೆ",
        "ನಾನು ಪ್ರತಿದಿನ ಪುಸ್ತಕ ಓದುತ್ತೇನೆ",
        "ಮಕ್ಕಳು ಶಾಲೆಗೆ ಹೋಗುತ್ತಿದ್ದಾರೆ",
    ],
    "pa": [
        "ਪੰਜਾਬ ਭਾਰਤ ਦਾ ਇੱਕ ਸੂਬਾ ਹੈ",
        "ਅੱਜ ਮੌਸਮ ਬਹੁਤ ਵਧੀਆ ਹੈ",
        "ਮੈਂ ਹਰ ਰੋਜ਼ ਸਵੇਰੇ ਸੈਰ ਕਰਦਾ ਹਾਂ",
        "ਬੱਚੇ ਖੇਤਾਂ ਵਿੱਚ ਖੇਡ ਰਹੇ ਹਨ",
    ],
    "ne": [
        "काठमाडौं नेपालको राजधानी हो",
        "आज मौसम धेरै राम्रो छ",
        "म हरेक दिन किताब पढ्छु",
        "केटाकेटीहरू विद्यालय जाँदैछन्",
    ],
    "or": [
        "ଓଡ଼ିଶା ଭାରତର ଏକ ସୁନ୍ଦର ରାଜ୍ୟ",
        "ଆଜି ପାଗ ବହୁତ ଭଲ ଅଛି",
        "ମୁଁ ପ୍ରତିଦିନ ବହି ପଢ଼େ",
        "ପିଲାମାନେ ସ୍କୁଲକୁ ଯାଉଛନ୍ତି",
    ],
}
# espeak-ng voice variants: men's and women's voices (no whisper: that is not what we ask for).
VARIANTS = ("m1", "m3", "m5", "f2", "f3", "f4")
SPEECH_CONDITIONS = ("clean", "quiet", "noisy", "quiet-noisy")


@dataclass(frozen=True)
class Sample:
    """One upload of the corpus: its name says what it is, `speech` what it should be judged."""

    name: str
    speech: bool
    data: bytes


def espeak_missing() -> str | None:
    """Why espeak-ng speech cannot be made here, or None when it can."""
    return None if shutil.which("espeak-ng") else "espeak-ng is not installed (apt: espeak-ng)"


def build_corpus(folder: Path) -> list[Sample]:
    """Every sample: speech (espeak-ng clips written in `folder`, the shared clips) and not."""
    return [*speech_samples(folder), *non_speech_samples()]


# --- speech ------------------------------------------------------------------------------


def speech_samples(folder: Path) -> list[Sample]:
    """The speech half: espeak-ng in thirteen languages and the shared clips, varied."""
    rng = np.random.default_rng(15)
    samples = []
    for n, (language, text) in enumerate(_texts()):
        for take in range(2):
            variant = VARIANTS[int(rng.integers(len(VARIANTS)))]
            speed, pitch = int(rng.integers(130, 200)), int(rng.integers(30, 70))
            path = folder / f"espeak-{language}-{n}-{take}.wav"
            voice_options = ["-v", f"{language}+{variant}", "-s", str(speed), "-p", str(pitch)]
            subprocess.run(
                ["espeak-ng", *voice_options, "-w", str(path), text],
                check=True,
                capture_output=True,
                timeout=30,
            )
            voice, rate = _read_any_wav(path)
            name = f"espeak-{language}-{n}{'ab'[take]}-{variant}"
            samples.append(_take(name, voice, rate, len(samples), rng))
    for name in REAL_WAVS:
        voice, rate = read_wav(name)
        for _ in range(10):
            samples.append(_take(name, voice, rate, len(samples), rng))
        samples.append(_take(name, voice, rate, len(samples), rng, opus=True))
    samples += [
        Sample(f"speech/{name}", True, clip_bytes(name)) for name in ("hi_1.webm", "en_1.ogg")
    ]
    return samples


def _texts() -> list[tuple[str, str]]:
    """(espeak-ng language, sentence) pairs, short enough to read in under 15 s."""
    texts = [("hi", line) for line in _lines("hindi.txt", 12)]
    texts += [("en", line) for line in _lines("english.txt", 12)]
    with (SENTENCES / "parallel_6_languages.csv").open(encoding="utf-8-sig") as source:
        rows = list(csv.reader(source))
    codes = {"Tamil": "ta", "Bengali": "bn", "Telugu": "te", "Malayalam": "ml"}
    for column, language in enumerate(rows[0]):
        if language in codes:
            phrases = [p.strip() for row in rows[1:] for p in row[column].split(",")]
            texts += [(codes[language], p[:90]) for p in phrases if len(p) >= 20][:6]
    texts += [(language, text) for language, lines in WRITTEN.items() for text in lines]
    return texts


def _lines(name: str, count: int) -> list[str]:
    lines = (SENTENCES / name).read_text(encoding="utf-8-sig").splitlines()
    return [line.strip()[:90] for line in lines if len(line.strip()) >= 20][:count]


def _take(
    name: str, voice: Samples, rate: int, n: int, rng: np.random.Generator, opus: bool = False
) -> Sample:
    """A volunteer's take of `voice`: a pause before and after, at a rate and in a condition
    chosen by `n` (so every rate meets every condition), as wav, or as opus in webm."""
    new_rate = 48000 if opus else RATES[n % len(RATES)]
    condition = SPEECH_CONDITIONS[(n // len(RATES)) % len(SPEECH_CONDITIONS)]
    voice = resample_clean(voice, rate, new_rate)
    before, after = rng.uniform(0.2, 1.0), rng.uniform(0.2, 0.8)
    take = np.concatenate(
        [np.zeros(round(before * new_rate)), voice, np.zeros(round(after * new_rate))]
    )
    level = _rms_dbfs(voice)
    if "noisy" in condition:
        take = take + at_level(pink_noise(rng, take.size), level - 20.0)
    if "quiet" in condition:
        take = take * 10 ** (-20 / 20)
    take = take.astype(np.float32)
    label = f"speech/{name}@{new_rate}-{condition}"
    if opus:
        return Sample(label + ".webm", True, encode(take, new_rate, "webm", "libopus"))
    return Sample(label, True, wav_bytes(take, new_rate))


def _read_any_wav(path: Path) -> tuple[Samples, int]:
    """A mono wav of any rate (espeak-ng writes 22.05 kHz) as float32 samples and its rate."""
    with av.open(str(path)) as container:
        frames = [f.to_ndarray().reshape(-1) for f in container.decode(audio=0)]
        rate = container.streams.audio[0].rate
    pcm = np.concatenate(frames)
    return (pcm / 32768.0 if pcm.dtype.kind == "i" else pcm).astype(np.float32), rate


# --- not speech --------------------------------------------------------------------------


def non_speech_samples() -> list[Sample]:
    """The other half: ~260 sounds that a microphone may pick up when nobody reads."""
    rng = np.random.default_rng(16)
    makers: list[tuple[str, int, Callable[[np.random.Generator, int, int], Samples]]] = [
        ("white-noise", 30, lambda r, n, rate: r.standard_normal(n)),
        ("pink-noise", 30, lambda r, n, rate: pink_noise(r, n)),
        ("brown-noise", 15, lambda r, n, rate: _brown_noise(r, n)),
        ("tone", 30, _tone),
        ("beeps", 20, _beeps),
        ("chirp", 20, _chirp),
        ("chords", 35, _chords),
        ("hum", 15, _hum),
        ("clicks", 20, _clicks),
        ("tone+noise", 10, lambda r, n, rate: _tone(r, n, rate) + 0.3 * pink_noise(r, n)),
        ("chords+noise", 10, lambda r, n, rate: _chords(r, n, rate) + 0.2 * pink_noise(r, n)),
        ("hum+noise", 10, lambda r, n, rate: _hum(r, n, rate) + 0.5 * r.standard_normal(n)),
    ]
    samples = []
    for kind, count, make in makers:
        for i in range(count):
            rate = RATES[(len(samples) + i) % len(RATES)]
            n = round(rng.uniform(1.5, 6.0) * rate)
            level = rng.uniform(-45.0, -12.0)
            sound = at_level(make(rng, n, rate), level).astype(np.float32)
            name = f"noise/{kind}-{i}@{rate}-{level:.0f}dBFS"
            if i % 5 == 4:  # some as a browser uploads them
                opus = encode(resample_clean(sound, rate, 48000), 48000, "webm", "libopus")
                samples.append(Sample(name + ".webm", False, opus))
            else:
                samples.append(Sample(name, False, wav_bytes(sound, rate)))
    for i, dbfs in enumerate((None, -90.0, -80.0, -70.0, -60.0)):
        rate = RATES[i]
        quiet = np.zeros(3 * rate, dtype=np.float32)
        if dbfs is not None:  # the hiss of a quiet room or of a sound card's input
            quiet = at_level(rng.standard_normal(3 * rate), dbfs).astype(np.float32)
        samples.append(Sample(f"noise/silence-{dbfs}@{rate}", False, wav_bytes(quiet, rate)))
    fake_mic = "chromium_fake_mic.webm"
    samples.append(Sample(f"noise/{fake_mic}", False, clip_bytes(fake_mic)))
    return samples


def pink_noise(rng: np.random.Generator, n: int) -> Samples:
    """Noise with equal power per octave (1/f), unit RMS."""
    size = 1 << max(n - 1, 1).bit_length()  # a power of two: an FFT of a prime length is slow
    spectrum = np.fft.rfft(rng.standard_normal(size))
    spectrum /= np.sqrt(np.maximum(np.arange(spectrum.size), 1))
    return _unit(np.fft.irfft(spectrum, size)[:n])


def _brown_noise(rng: np.random.Generator, n: int) -> Samples:
    walk = np.cumsum(rng.standard_normal(n))
    return _unit(walk - np.convolve(walk, np.ones(401) / 401, mode="same"))


def _tone(rng: np.random.Generator, n: int, rate: int) -> Samples:
    hz = np.exp(rng.uniform(np.log(60), np.log(min(6000, rate * 0.45))))
    return np.sin(2 * np.pi * hz * np.arange(n) / rate + rng.uniform(0, 6.3))


def _beeps(rng: np.random.Generator, n: int, rate: int) -> Samples:
    """A tone switched on and off, as Chromium's fake microphone and many alarms do."""
    period, on = rng.uniform(0.3, 1.5), rng.uniform(0.05, 0.3)
    t = np.arange(n) / rate
    return _tone(rng, n, rate) * ((t % period) < on)


def _chirp(rng: np.random.Generator, n: int, rate: int) -> Samples:
    """Sweeps between two frequencies, repeated (a siren, a test signal)."""
    low, high = rng.uniform(80, 500), rng.uniform(1000, min(8000, rate * 0.45))
    sweep = rng.uniform(0.3, 3.0)
    t = np.arange(n) / rate
    phase_in_sweep = (t % sweep) / sweep
    if rng.random() < 0.5:
        hz = low * (high / low) ** phase_in_sweep
    else:
        hz = low + (high - low) * phase_in_sweep
    return np.sin(2 * np.pi * np.cumsum(hz) / rate)


def _chords(rng: np.random.Generator, n: int, rate: int) -> Samples:
    """Music-like: chords of harmonic notes from a scale, each with an attack and a decay,
    some with vibrato, changing every 0.15-0.8 s."""
    out = np.zeros(n)
    start = 0
    scale = np.array([0, 2, 4, 5, 7, 9, 11])
    vibrato = rng.uniform(0, 0.01) if rng.random() < 0.5 else 0.0
    while start < n:
        length = min(n - start, round(rng.uniform(0.15, 0.8) * rate))
        t = np.arange(length) / rate
        envelope = np.minimum(t / 0.01, 1) * np.exp(-t * rng.uniform(1, 8))
        for _ in range(int(rng.integers(1, 5))):
            midi = 48 + 12 * int(rng.integers(0, 3)) + int(rng.choice(scale))
            hz = 440 * 2 ** ((midi - 69) / 12) * (1 + vibrato * np.sin(2 * np.pi * 5.5 * t))
            phase = 2 * np.pi * np.cumsum(hz) / rate
            for k in range(1, 8):
                if hz[0] * k < rate * 0.45:
                    out[start : start + length] += envelope * np.sin(k * phase) / k**1.2
        start += length
    return out


def _hum(rng: np.random.Generator, n: int, rate: int) -> Samples:
    """Mains hum: 50 or 60 Hz and its harmonics (odd ones strong, as from a transformer)."""
    mains = 50.0 if rng.random() < 0.5 else 60.0
    t = np.arange(n) / rate
    return sum(
        np.sin(2 * np.pi * mains * k * t + rng.uniform(0, 6.3)) / (k if k % 2 else 3 * k)
        for k in range(1, 12)
        if mains * k < rate * 0.45
    )


def _clicks(rng: np.random.Generator, n: int, rate: int) -> Samples:
    """Clicks: a clock's ticks, a keyboard, a pen on the table; short decaying bursts."""
    out = np.zeros(n)
    regular = rng.random() < 0.5
    every = rng.uniform(0.05, 1.0)
    position = rng.uniform(0, every)
    burst_length = round(rng.uniform(0.001, 0.01) * rate)
    decay = np.exp(-np.arange(burst_length) / (burst_length / 4))
    burst = rng.standard_normal(burst_length) * decay
    while (index := round(position * rate)) + burst_length < n:
        out[index : index + burst_length] += burst * rng.uniform(0.3, 1.0)
        position += every if regular else rng.exponential(every)
    return out


# --- helpers -----------------------------------------------------------------------------


def resample_clean(samples: Samples, rate: int, new_rate: int) -> Samples:
    """Resample with FFmpeg's resampler (filtered, unlike linear interpolation: no aliases)."""
    if rate == new_rate:
        return samples.astype(np.float32)
    resampler = av.AudioResampler(format="flt", layout="mono", rate=new_rate)
    frame = av.AudioFrame.from_ndarray(
        samples.reshape(1, -1).astype(np.float32), format="flt", layout="mono"
    )
    frame.sample_rate = rate
    frames = [*resampler.resample(frame), *resampler.resample(None)]
    return np.concatenate([f.to_ndarray().reshape(-1) for f in frames])


def at_level(samples: Samples, dbfs: float) -> Samples:
    """`samples` scaled so that their RMS level is `dbfs`."""
    return _unit(samples) * 10 ** (dbfs / 20)


def _unit(samples: Samples) -> Samples:
    rms = float(np.sqrt(np.mean(np.square(samples, dtype=np.float64))))
    return samples / rms if rms > 0 else samples


def _rms_dbfs(samples: Samples) -> float:
    return 10 * float(np.log10(np.mean(np.square(samples, dtype=np.float64)) + 1e-20))


def describe(samples: list[Sample]) -> str:
    """How many samples of each kind, e.g. "espeak-hi 24, hi_1.wav 11, ...", for printouts."""
    kind = re.compile(r"espeak-[a-z]+|[\w.]+\.(?:wav|webm|ogg)|[a-z+]+(?:-noise)?")
    kinds = Counter(_group(kind.match(sample.name.split("/")[1])) for sample in samples)
    return ", ".join(f"{kind} {count}" for kind, count in sorted(kinds.items()))


def _group(match: re.Match[str] | None) -> str:
    return match.group(0) if match else "other"
