"""Gaze: the saccade model's statistics, its seeding per clip, the eyes holding their target
against the head, and the eyeLook weights it drives."""
from __future__ import annotations

import numpy as np
import pytest

from talkface_core.animation import Animation
from talkface_core.audio import load_audio
from talkface_core.blendshapes import ARKIT_NAMES
from talkface_core.postprocess import add_eye_looks, add_gaze
from talkface_core.postprocess.gaze import (
    AMPLITUDE_MAX_DEG,
    D0_S,
    D_S_PER_DEG,
    EYE_NAMES,
    EYE_RANGE_DEG,
    MIN_FIXATION_S,
    SCAN_MAX_DEG,
    fixations,
    saccade_durations,
)
from talkface_core.postprocess.eye_look import LID_PER_LOOK_DOWN, LID_PER_LOOK_UP
from talkface_core.postprocess.rotation_channels import rotation, with_rotations
from talkface_core.postprocess.voice import ANALYSIS_FPS, Voice


def still(seconds: float, fps: float = 30.0) -> Animation:
    return Animation(ARKIT_NAMES, fps, np.zeros((int(seconds * fps), 52)))


def test_saccades_follow_the_literature_over_ten_minutes():
    voice = Voice.silent(600.0, seed=1)
    times, targets = fixations(voice)
    fix = np.diff(times)
    assert fix.min() >= MIN_FIXATION_S - 1e-9
    assert 30 <= len(times) / 10 <= 90       # a saccade every second or two
    off = np.linalg.norm(targets, axis=1)
    assert off.max() <= AMPLITUDE_MAX_DEG + 1e-9
    away = off > SCAN_MAX_DEG
    share_away = fix[away[:-1]].sum() / fix.sum()
    assert 0.3 < share_away < 0.7, share_away   # speakers look at the listener about half the time
    # Lee et al.'s amplitude density falls with amplitude: small saccades are the most common,
    # on the listener's face and away from it.
    for lo, hi, mask in ((0, SCAN_MAX_DEG, ~away), (SCAN_MAX_DEG, AMPLITUDE_MAX_DEG, away)):
        hist, _ = np.histogram(off[mask], bins=np.linspace(lo, hi, 4))
        assert hist[0] > hist[1] > hist[2], hist
    # Main sequence: longer saccades take longer, 25 ms + 2.4 ms/deg.
    amplitude = np.linalg.norm(np.diff(targets, axis=0), axis=1)
    assert np.allclose(saccade_durations(targets)[1:], D0_S + D_S_PER_DEG * amplitude)
    # Over an hour: horizontal aversions outnumber vertical ones (35 % vs 22 % in Lee et al.),
    # and left and right balance (a symmetric face).
    _, targets = fixations(Voice.silent(3600.0, seed=1))
    targets = targets[np.linalg.norm(targets, axis=1) > SCAN_MAX_DEG]
    yaw, pitch = np.abs(targets[:, 0]), np.abs(targets[:, 1])
    assert (yaw > pitch + 1e-6).mean() > 1.3 * (pitch > yaw + 1e-6).mean()
    left, right = np.sum(targets[:, 0] > 1e-6), np.sum(targets[:, 0] < -1e-6)
    assert abs(left - right) < 0.1 * (left + right)


def test_left_and_right_looks_balance_within_a_clip():
    """The eyes recentre: how far and how long they look left matches the right within a minute
    (only the last look of a clip, whose length nobody knows when it is drawn, is left over)."""
    ratios = []
    for seed in range(20):
        gazed = add_eye_looks(add_gaze(still(60.0), Voice.silent(60.0, seed=seed), 1.0))
        left, right = gazed.channel("eyeLookOutLeft").mean(), gazed.channel("eyeLookOutRight").mean()
        ratios.append(abs(np.log(left / right)))
    assert np.median(ratios) <= 0.1 and max(ratios) <= 0.3, np.round(ratios, 3)


def test_gaze_is_seeded_and_differs_per_clip(speech_wav, other_speech_wav):
    a, b = load_audio(speech_wav), load_audio(other_speech_wav)
    n = int(len(a) / 16000 * 30)
    eyes = lambda voice: rotation(add_gaze(still(n / 30), voice, 1.0), "LeftEyeYaw")
    first = eyes(Voice.of(a))
    assert np.array_equal(first, eyes(Voice.of(a)))
    assert first.std() > 0.5                              # the eyes do move (degrees)
    assert not np.allclose(first, eyes(Voice.of(b))[:n])  # another clip looks elsewhere
    assert not np.allclose(first, eyes(Voice.of(a, seed=7)))


def test_phrase_starts_send_the_eyes_away_and_phrase_ends_bring_them_back():
    n = int(600 * ANALYSIS_FPS)
    speaking = (np.arange(n) / ANALYSIS_FPS % 4.0) < 3.0    # 3 s phrases, 1 s pauses, ten minutes
    voice = Voice(600.0, speaking * 0.8, np.where(speaking, 0.0, np.nan), speaking, np.zeros(n), (2, 0))
    times, targets = fixations(voice)
    grid = np.arange(0, 600, 0.01)
    away = (np.linalg.norm(targets, axis=1) > SCAN_MAX_DEG)[np.searchsorted(times, grid, "right") - 1]

    def share_away(events: np.ndarray, lo: float, hi: float) -> float:
        near = ((grid[:, None] >= events + lo) & (grid[:, None] < events + hi)).any(axis=1)
        return float(away[near].mean())

    onsets, ends = voice.phrases[:, 0], voice.phrases[:, 1]
    assert share_away(onsets, 0.05, 0.5) > 0.55          # looking away as a phrase begins (Kendon)
    assert share_away(onsets, -0.5, -0.05) < 0.4
    assert share_away(ends, 0.0, 0.15) < 0.2             # ... and back at the listener at its end


def test_eyes_hold_their_target_while_the_head_moves():
    anim = still(20.0)
    t = np.arange(anim.num_frames) / anim.fps
    head = {"HeadYaw": 6 * np.sin(t), "HeadPitch": 3 * np.cos(2 * t)}
    voice = Voice.silent(20.0, seed=3)
    free = add_gaze(anim, voice, 1.0)
    turned = add_gaze(with_rotations(anim, head), voice, 1.0)
    for eye, head_name in (("LeftEyeYaw", "HeadYaw"), ("RightEyePitch", "HeadPitch")):
        assert np.allclose(rotation(turned, eye), rotation(free, eye) - head[head_name], atol=1e-4)


def test_eye_looks_follow_the_eye_rotations():
    anim = still(1.0)
    yaw = np.linspace(-15, 15, anim.num_frames)
    looks = add_eye_looks(with_rotations(anim, {n: yaw if n.endswith("Yaw") else 0 * yaw
                                                for n in EYE_NAMES}))
    right = yaw < 0        # towards the character's right: the left eye turns in, the right out
    assert np.allclose(looks.channel("eyeLookInLeft")[right], -yaw[right] / EYE_RANGE_DEG, atol=1e-6)
    assert np.allclose(looks.channel("eyeLookOutRight")[right], -yaw[right] / EYE_RANGE_DEG, atol=1e-6)
    assert np.allclose(looks.channel("eyeLookOutLeft")[~right], yaw[~right] / EYE_RANGE_DEG, atol=1e-6)
    assert (looks.channel("eyeLookOutLeft")[right] == 0).all()
    assert (looks.channel("eyeLookUpLeft") == 0).all()


def test_the_lids_follow_the_eyes_up_and_down():
    anim = still(1.0)
    pitch = np.linspace(-15, 15, anim.num_frames)      # + = down
    looks = add_eye_looks(with_rotations(anim, {n: pitch if n.endswith("Pitch") else 0 * pitch
                                                for n in EYE_NAMES}))
    down, up = pitch > 0, pitch < 0
    for side in ("Left", "Right"):
        lid, wide = looks.channel(f"eyeBlink{side}"), looks.channel(f"eyeWide{side}")
        assert np.allclose(lid[down], LID_PER_LOOK_DOWN * pitch[down] / EYE_RANGE_DEG, atol=1e-6)
        assert np.allclose(wide[up], LID_PER_LOOK_UP * -pitch[up] / EYE_RANGE_DEG, atol=1e-6)
        assert (lid[up] == 0).all() and (wide[down] == 0).all()
    # A blink under a look down still shuts the lid, and only once.
    blinking = anim.with_weights(np.where(np.isin(np.arange(52), [ARKIT_NAMES.index("eyeBlinkLeft")]),
                                          1.0, 0.0)[None, :].repeat(anim.num_frames, 0))
    shut = add_eye_looks(with_rotations(blinking, {n: pitch if n.endswith("Pitch") else 0 * pitch
                                                   for n in EYE_NAMES}))
    assert np.allclose(shut.channel("eyeBlinkLeft"), 1.0)


@pytest.mark.parametrize("amount", [0.0, 0.5])
def test_amount_scales_the_eyes_and_zero_keeps_them_still(amount):
    anim, voice = still(10.0), Voice.silent(10.0, seed=5)
    full = rotation(add_gaze(anim, voice, 1.0), "LeftEyeYaw")
    out = add_gaze(anim, voice, amount)
    if amount == 0:
        assert out is anim and not out.rotation_names
    else:
        assert np.allclose(rotation(out, "LeftEyeYaw"), amount * full, atol=1e-5)
