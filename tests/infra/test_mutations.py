"""The mutation check (infra/mutate.py) stays applicable: every flip's text occurs exactly once
in its file and names tests that exist. (The check itself runs by hand: one pytest run per
flip; its last output is in docs/deploy.md.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.mutate import ROOT, Mutation, all_mutations, problem

MUTATIONS = all_mutations()


def test_each_flip_has_its_own_name() -> None:
    names = [m.name for m in MUTATIONS]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("mutation", MUTATIONS, ids=[m.name for m in MUTATIONS])
def test_the_flip_can_be_made(mutation: Mutation) -> None:
    assert problem(mutation) is None
    assert mutation.tests
    for test in mutation.tests:
        assert (ROOT / test.split("::")[0]).is_file(), test


def test_a_flip_whose_text_is_gone_is_reported(tmp_path: Path) -> None:
    (tmp_path / "x.py").write_text("A = 1\nA = 1\n")
    stale = Mutation("example", "x.py", "A = 1", "A = 2", ("tests/x.py",))
    assert problem(stale, tmp_path) == "'A = 1' occurs 2 times in x.py (expected once)"
    assert problem(Mutation("gone", "y.py", "a", "b", ()), tmp_path) == "y.py does not exist"
