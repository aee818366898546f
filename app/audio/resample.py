"""Converting decoded audio to one sample format, mono, at one rate, in a single thread.

PyAV's `AudioResampler` does the same with an FFmpeg filter graph whose thread count it leaves
to FFmpeg; the FFmpeg inside PyAV 18.1.1's wheels then starts a pool of slice threads for
every graph (one per core), and the graph, held in a reference cycle, is freed whenever the
garbage collector runs. After a fork, that may be in the child: `crowdsource serve` decodes the
demo clips in the gunicorn master, and a worker forked from it that collected one of those
graphs waited forever in `pthread_cond_destroy` for pool threads that exist only in the master
(workers booted and never answered; tests/audio/test_resample.py forks to show it cannot
happen again). A graph limited to one thread starts no pool, and an upload's check no longer
starts and stops threads it does not need.
"""

from __future__ import annotations

from errno import EAGAIN

from av.audio.frame import AudioFrame
from av.error import FFmpegError
from av.filter import Graph


class MonoResampler:
    """Frames in, frames of `sample_format` ("flt", "s16"...), mono, at `rate` out; frames
    that already are pass through untouched. Feed frames of one stream (a frame whose format
    differs from the first raises ValueError), then None to flush."""

    def __init__(self, sample_format: str, rate: int) -> None:
        self.sample_format = sample_format
        self.rate = rate
        self._graph: Graph | None = None
        self._first: tuple[str, str, int] | None = None
        self._passthrough = False
        self._ready: list[AudioFrame] = []

    def resample(self, frame: AudioFrame | None) -> list[AudioFrame]:
        """`push(frame)`, then `pull()`: what the frames so far give."""
        self.push(frame)
        return self.pull()

    def push(self, frame: AudioFrame | None) -> None:
        """Queue `frame` (None: the stream ended). Pulling once per many frames spares the
        per-frame round through FFmpeg and its "nothing yet" answer (an exception in PyAV)."""
        if frame is None:
            if self._graph is not None:
                self._graph.push(None)
            return
        shape = (frame.format.name, frame.layout.name, frame.sample_rate)
        if self._first is None:
            self._first = shape
            self._passthrough = shape == (self.sample_format, "mono", self.rate)
            if not self._passthrough:
                self._graph = self._make_graph(frame)
        elif shape != self._first:
            raise ValueError("the stream's audio format changed part-way")
        if self._graph is None:
            self._ready.append(frame)
        else:
            self._graph.push(frame)

    def pull(self) -> list[AudioFrame]:
        """The converted frames of what was pushed, as far as FFmpeg has them."""
        out, self._ready = self._ready, []
        if self._graph is None:
            return out
        while True:
            try:
                frame = self._graph.pull()
            except EOFError:
                break
            except FFmpegError as exc:
                if exc.errno != EAGAIN:
                    raise
                break
            if isinstance(frame, AudioFrame):  # an audio graph gives nothing else
                out.append(frame)
        return out

    def _make_graph(self, frame: AudioFrame) -> Graph:
        graph = Graph()
        graph.threads = 1  # the module docstring: no pool of slice threads
        extra = {"time_base": str(frame.time_base)} if frame.time_base is not None else {}
        source = graph.add(
            "abuffer",
            sample_rate=str(frame.sample_rate),
            sample_fmt=frame.format.name,
            channel_layout=frame.layout.name,
            **extra,
        )
        convert = graph.add(
            "aformat",
            sample_rates=str(self.rate),
            sample_fmts=self.sample_format,
            channel_layouts="mono",
        )
        sink = graph.add("abuffersink")
        source.link_to(convert)
        convert.link_to(sink)
        graph.configure()
        return graph
