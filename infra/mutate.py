"""Mutation check of the infra tests: flip each security-relevant value in turn and show that
every flip makes at least one test fail.

    python -m infra.mutate              # every mutation (minutes: one pytest run per flip)
    python -m infra.mutate --only aws   # the mutations whose name starts with "aws"
    python -m infra.mutate --list

Each cloud program lists its flips in `infra/<program>/mutations.py` (MUTATIONS): a file, an
exact text that occurs once in it, what to put instead, and the tests that must catch it. The
flips are made in a copy of the working tree under a temporary folder, never in place, so
the check can run beside other work. Run by hand before a release and after changing the
programs; the last run's output is in docs/deploy.md. tests/infra/test_mutations.py (in CI)
keeps every flip applicable: each `old` text still occurs exactly once.
"""

from __future__ import annotations

import argparse
import importlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROGRAMS = ("k8s", "aws", "gcp")


@dataclass(frozen=True)
class Mutation:
    """One flip: in `path`, `old` (exactly once) becomes `new`; one of `tests` must fail."""

    name: str
    path: str
    old: str
    new: str
    tests: tuple[str, ...]


def all_mutations() -> list[Mutation]:
    found: list[Mutation] = []
    for program in PROGRAMS:
        try:
            module = importlib.import_module(f"infra.{program}.mutations")
        except ModuleNotFoundError as exc:
            if exc.name != f"infra.{program}.mutations":
                raise
            continue
        found.extend(module.MUTATIONS)
    return found


def problem(mutation: Mutation, root: Path = ROOT) -> str | None:
    """Why the flip cannot be made on the tree at `root`, or None."""
    path = root / mutation.path
    if not path.is_file():
        return f"{mutation.path} does not exist"
    count = path.read_text(encoding="utf-8").count(mutation.old)
    if count != 1:
        return f"{mutation.old!r} occurs {count} times in {mutation.path} (expected once)"
    if mutation.old == mutation.new:
        return "the flip changes nothing"
    return None


def _copy_tree(target: Path) -> None:
    """The working tree's files (tracked and new, not ignored) under `target`."""
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"],
        cwd=ROOT, check=True, capture_output=True,
    ).stdout.decode().split("\0")  # fmt: skip
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            destination = target / name
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination)


def run(mutations: list[Mutation]) -> int:
    """Make each flip in a copy, run its tests; print one line per flip. Returns the number of
    flips no test caught (or that could not be made)."""
    missed = 0
    with tempfile.TemporaryDirectory(prefix="crowdsource-mutate-") as scratch:
        tree = Path(scratch)
        _copy_tree(tree)
        env = {**os.environ, "PYTHONPATH": str(tree), "PYTHONDONTWRITEBYTECODE": "1"}
        for mutation in mutations:
            why = problem(mutation, tree)
            if why is not None:
                print(f"NOT MADE  {mutation.name}: {why}", flush=True)
                missed += 1
                continue
            path = tree / mutation.path
            original = path.read_text(encoding="utf-8")
            path.write_text(original.replace(mutation.old, mutation.new), encoding="utf-8")
            started = time.monotonic()
            try:
                result = subprocess.run(
                    [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider",
                     "-o", "addopts=", *mutation.tests],
                    cwd=tree, env=env, capture_output=True, text=True, timeout=900,
                )  # fmt: skip
            finally:
                path.write_text(original, encoding="utf-8")
            seconds = time.monotonic() - started
            if result.returncode == 1:  # tests ran and at least one failed
                failed = next(
                    (line.split(" ", 1)[1].split(" - ")[0] for line in result.stdout.splitlines()
                     if line.startswith("FAILED ")),
                    "a test",
                )  # fmt: skip
                print(f"caught    {mutation.name}  ({failed}, {seconds:.0f} s)", flush=True)
            else:
                missed += 1
                outcome = (
                    "all tests passed"
                    if result.returncode == 0
                    else (f"pytest exited {result.returncode}: {result.stdout[-300:]}")
                )
                print(f"MISSED    {mutation.name}  ({outcome})", flush=True)
    return missed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m infra.mutate", description="Mutation check of the infra tests."
    )
    parser.add_argument("--only", default="", help="run the mutations whose name starts with this")
    parser.add_argument("--list", action="store_true", help="list the mutations and stop")
    options = parser.parse_args(argv)
    mutations = [m for m in all_mutations() if m.name.startswith(options.only)]
    if options.list:
        for m in mutations:
            print(f"{m.name}\n    {m.path}: {m.old!r} -> {m.new!r}")
        return 0
    if not mutations:
        print("no mutations match", file=sys.stderr)
        return 2
    missed = run(mutations)
    print(f"{len(mutations) - missed} of {len(mutations)} flips caught")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
