"""Decoding starts no threads, so a process forked after it (a gunicorn worker forked from a
`crowdsource serve` master that decoded the demo clips) never waits for threads it does not
have: with PyAV's own resampler, PyAV 18.1.1's FFmpeg started a pool of slice threads per
graph, and a worker that garbage-collected one of the master's graphs hung forever."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import av
import numpy as np

from app.audio.resample import MonoResampler
from tests.conftest import PROJECT_ROOT

DEMO_CLIP = PROJECT_ROOT / "app" / "sentences" / "demo" / "clips" / "hi" / "hi_1.ogg"  # 48 kHz

FORK_AFTER_DECODING = textwrap.dedent(
    """
    import gc, os, sys, time
    from pathlib import Path
    from app.audio.decode import decode_audio
    from app.export.audio import decode_pcm16

    gc.disable()  # the graphs stay garbage until the child collects them, as in a worker
    threads = len(os.listdir("/proc/self/task"))
    data = Path(sys.argv[1]).read_bytes()
    decode_audio(data, demuxers="ogg", accept=lambda *_: None, max_seconds=30)
    decode_pcm16(data)
    started = len(os.listdir("/proc/self/task")) - threads
    time.sleep(0.3)  # any pool thread is waiting on its condition now
    child = os.fork()
    if child == 0:
        gc.collect()
        os._exit(0)
    for _ in range(200):
        if os.waitpid(child, os.WNOHANG)[0]:
            print(f"child exited; threads started: {started}")
            sys.exit(0)
        time.sleep(0.05)
    os.kill(child, 9)
    print(f"child hung; threads started: {started}")
    sys.exit(1)
    """
)


def test_a_child_forked_after_decoding_collects_the_parents_graphs_and_exits() -> None:
    assert DEMO_CLIP.exists()
    run = subprocess.run(
        [sys.executable, "-c", FORK_AFTER_DECODING, str(DEMO_CLIP)],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.stdout.strip() == "child exited; threads started: 0", run.stdout + run.stderr


def test_the_resampler_gives_what_pyavs_gives() -> None:
    for sample_format, rate in (("flt", 16_000), ("s16", 16_000), ("s16", 48_000)):
        ours, theirs = (
            MonoResampler(sample_format, rate),
            av.AudioResampler(format=sample_format, layout="mono", rate=rate),
        )
        out: dict[str, list[np.ndarray]] = {"ours": [], "theirs": []}
        with av.open(str(DEMO_CLIP)) as container:
            for frame in container.decode(container.streams.audio[0]):
                out["ours"] += [f.to_ndarray().reshape(-1) for f in ours.resample(frame)]
                out["theirs"] += [f.to_ndarray().reshape(-1) for f in theirs.resample(frame)]
        out["ours"] += [f.to_ndarray().reshape(-1) for f in ours.resample(None)]
        out["theirs"] += [f.to_ndarray().reshape(-1) for f in theirs.resample(None)]
        a, b = np.concatenate(out["ours"]), np.concatenate(out["theirs"])
        assert a.dtype == b.dtype and np.array_equal(a, b), (sample_format, rate)
        assert a.size > rate  # over a second of sound
