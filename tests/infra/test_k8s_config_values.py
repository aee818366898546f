"""infra.config_values.string_map: the one reader of name → text maps in stack config (labels,
annotations, settings) for every program."""

from __future__ import annotations

import pytest

from infra.config_values import ConfigError, string_map


def test_values_become_text_and_unset_is_empty() -> None:
    assert string_map("settings", {"VOTES_TO_DECIDE": 3, "DEBUG": True, "X": "y"}) == {
        "VOTES_TO_DECIDE": "3",
        "DEBUG": "True",
        "X": "y",
    }
    assert string_map("settings", None) == {}


@pytest.mark.parametrize("value", [["a"], "text", {1: "a"}])
def test_anything_but_a_map_of_names_stops_with_the_key_named(value) -> None:
    with pytest.raises(ConfigError, match=r"^crowdsource:ingress\.annotations: expected a map"):
        string_map("ingress.annotations", value)
