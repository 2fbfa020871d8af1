"""Shape-key name matching (pure Python: runs without Blender)."""
from __future__ import annotations

import re

import pytest

from blender_addon import shape_key_match
from talkface_core.blendshapes import ARKIT_NAMES


def snake(name: str) -> str:
    return re.sub(r"([A-Z])", r"_\1", name).lower()


VARIANTS = {
    "exact": lambda n: n,
    "snake_case": snake,
    "prefixed": lambda n: "A01_" + n,
    "side tags": lambda n: n.replace("Left", "_L").replace("Right", "_R"),
    "upper case": str.upper,
    "namespaced + suffix": lambda n: "blendShape1." + n[0].upper() + n[1:] + "_morph",
    "dotted sides": lambda n: n.replace("Left", ".l").replace("Right", ".r"),
}


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_every_arkit_channel_finds_its_renamed_key(variant: str) -> None:
    rename = VARIANTS[variant]
    keys = ["Basis"] + [rename(n) for n in reversed(ARKIT_NAMES)]
    mapping = shape_key_match.match(ARKIT_NAMES, keys)
    assert mapping == {n: [rename(n)] for n in ARKIT_NAMES}
    assert shape_key_match.summary(mapping) == (52, [])


def test_missing_keys_are_reported_unmapped_not_guessed() -> None:
    keys = [n for n in ARKIT_NAMES if n not in ("mouthSmileLeft", "jawLeft")] + ["mouthSmile_R_old"]
    mapping = shape_key_match.match(ARKIT_NAMES, keys)
    assert mapping["mouthSmileLeft"] == [] and mapping["jawLeft"] == []
    assert shape_key_match.summary(mapping) == (50, ["jawLeft", "mouthSmileLeft"])


def test_a_shorter_name_never_steals_a_longer_ones_key() -> None:
    # mouthLeft must not take mouthSmile_L (extra word "smile" is ARKit vocabulary).
    mapping = shape_key_match.match(ARKIT_NAMES, ["mouthSmile_L", "eyeBlink_L"])
    assert mapping["mouthSmileLeft"] == ["mouthSmile_L"]
    assert mapping["mouthLeft"] == [] and mapping["eyeBlinkLeft"] == ["eyeBlink_L"]


def test_unsided_channel_drives_both_halves_of_a_split_rig() -> None:
    mapping = shape_key_match.match(ARKIT_NAMES, ["browInnerUp_L", "browInnerUp_R", "cheekPuff"])
    assert sorted(mapping["browInnerUp"]) == ["browInnerUp_L", "browInnerUp_R"]
    assert mapping["cheekPuff"] == ["cheekPuff"]


def test_exact_name_beats_a_variant() -> None:
    mapping = shape_key_match.match(["jawOpen"], ["jaw_open", "jawOpen", "JAWOPEN"])
    assert mapping["jawOpen"] == ["jawOpen"]


def test_other_output_spaces_match_too() -> None:
    flame = [f"Exp{i:03d}" for i in range(10)]
    keys = [f"exp_{i}" for i in range(10)] + ["jaw"]
    mapping = shape_key_match.match(flame, keys)
    assert mapping == {f"Exp{i:03d}": [f"exp_{i}"] for i in range(10)}


def test_tokens_split_camel_case_numbers_and_sides() -> None:
    assert shape_key_match.tokens("A01_browInnerUp") == (("a", "1", "brow", "inner", "up"), None)
    assert shape_key_match.tokens("EyeBlink.L") == (("eye", "blink"), "L")
    assert shape_key_match.tokens("eyeBlinkRight") == (("eye", "blink"), "R")
