"""Sounds for the audio tests: the shared clips, and wav/opus/aac... built from numpy arrays."""

from __future__ import annotations

import io
import wave
from typing import Any

import av
import av.stream
import numpy as np
import numpy.typing as npt
from av.audio.stream import AudioStream

from tests.conftest import SAMPLE_AUDIO

AUDIO_DIR = SAMPLE_AUDIO

Samples = npt.NDArray[np.float32]


def clip_bytes(name: str) -> bytes:
    """The bytes of a shared clip, e.g. "hi_1.webm"."""
    return (AUDIO_DIR / name).read_bytes()


def read_wav(name: str) -> tuple[Samples, int]:
    """A shared 16-bit mono wav clip as float32 samples (full scale 1.0) and its rate."""
    with wave.open(str(AUDIO_DIR / name)) as wav:
        assert wav.getsampwidth() == 2 and wav.getnchannels() == 1
        pcm = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
        return (pcm / 32768.0).astype(np.float32), wav.getframerate()


def wav_duration_ms(name: str) -> float:
    """The true duration of a shared wav clip, from its header's frame count."""
    with wave.open(str(AUDIO_DIR / name)) as wav:
        return 1000 * wav.getnframes() / wav.getframerate()


def wav_bytes(samples: Samples, rate: int) -> bytes:
    """16-bit PCM wav of `samples`: shape (n,) for mono or (n, channels); clipped to ±1."""
    frames = samples if samples.ndim == 2 else samples[:, np.newaxis]
    pcm = np.round(np.clip(frames, -1.0, 1.0) * 32767).astype("<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(frames.shape[1])
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(pcm.tobytes())
    return buffer.getvalue()


class _StreamingSink(io.RawIOBase):
    """A write-only, unseekable output: muxers cannot go back to fill in the duration, as
    with MediaRecorder, which streams its webm."""

    def __init__(self) -> None:
        self.data = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, chunk: Any) -> int:
        self.data += bytes(chunk)
        return len(chunk)


def encode(
    samples: Samples, rate: int, container: str, codec: str, *, streamed: bool = False
) -> bytes:
    """Mono `samples` encoded with PyAV, e.g. encode(x, 48000, "webm", "libopus"); `streamed`
    writes it as a browser does, without going back to record the duration."""
    sink: io.BytesIO | _StreamingSink = _StreamingSink() if streamed else io.BytesIO()
    with av.open(sink, mode="w", format=container) as output:
        stream = output.add_stream(codec, rate=rate, layout="mono")
        assert isinstance(stream, AudioStream)
        frame = av.AudioFrame.from_ndarray(
            samples.reshape(1, -1).astype(np.float32), format="flt", layout="mono"
        )
        frame.sample_rate = rate
        for packet in stream.encode(frame):
            output.mux(packet)
        for packet in stream.encode(None):
            output.mux(packet)
    return bytes(sink.data) if isinstance(sink, _StreamingSink) else sink.getvalue()


def video_bytes(with_audio: bool) -> bytes:
    """A one-second 64x64 mp4 video (mpeg4), with an AAC tone track if `with_audio`."""
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format="mp4") as output:
        video = output.add_stream("mpeg4", rate=25)
        video.width, video.height, video.pix_fmt = 64, 64, "yuv420p"
        audio = output.add_stream("aac", rate=48000, layout="mono") if with_audio else None
        for i in range(25):
            image = np.full((64, 64, 3), i * 10, dtype=np.uint8)
            for packet in video.encode(av.VideoFrame.from_ndarray(image, format="rgb24")):
                output.mux(packet)
        for packet in video.encode(None):
            output.mux(packet)
        if audio is not None:
            tone = tone_samples(1.0, 48000, dbfs=-20.0).reshape(1, -1)
            frame = av.AudioFrame.from_ndarray(tone, format="flt", layout="mono")
            frame.sample_rate = 48000
            for packet in [*audio.encode(frame), *audio.encode(None)]:
                output.mux(packet)
    return buffer.getvalue()


def mp3_with_cover_art() -> bytes:
    """A speech clip as mp3, with a PNG picture in its ID3 tag as music players add."""
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format="mp3") as output:
        audio = output.add_stream("libmp3lame", rate=48000, layout="mono")
        picture = output.add_stream("png")
        picture.width, picture.height, picture.pix_fmt = 16, 16, "rgb24"
        picture.disposition = av.stream.Disposition.attached_pic
        image = av.VideoFrame.from_ndarray(np.zeros((16, 16, 3), dtype=np.uint8), format="rgb24")
        for packet in [*picture.encode(image), *picture.encode(None)]:
            output.mux(packet)
        speech, rate = read_wav("hi_1.wav")
        frame = av.AudioFrame.from_ndarray(
            resample(speech, rate, 48000).reshape(1, -1), format="flt", layout="mono"
        )
        frame.sample_rate = 48000
        for packet in [*audio.encode(frame), *audio.encode(None)]:
            output.mux(packet)
    return buffer.getvalue()


def tone_samples(seconds: float, rate: int, *, dbfs: float, hz: float = 440.0) -> Samples:
    """A steady sine whose RMS level is `dbfs`."""
    t = np.arange(round(seconds * rate)) / rate
    amplitude = np.sqrt(2) * 10 ** (dbfs / 20)
    return (amplitude * np.sin(2 * np.pi * hz * t)).astype(np.float32)


def noise_samples(seconds: float, rate: int, *, dbfs: float, seed: int = 0) -> Samples:
    """White Gaussian noise whose RMS level is `dbfs`."""
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(round(seconds * rate)) * 10 ** (dbfs / 20)).astype(np.float32)


def resample(samples: Samples, rate: int, new_rate: int) -> Samples:
    """Linear-interpolation resampling: good enough to make test material at another rate."""
    count = round(samples.size * new_rate / rate)
    positions = np.arange(count) * rate / new_rate
    return np.interp(positions, np.arange(samples.size), samples).astype(np.float32)
