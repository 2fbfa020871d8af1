"""Gaze: fixations and saccades of a speaker, on the eyeLook* channels and as eye rotations.

A seeded model of behaviour, after "Eyes Alive" (Lee, Badler & Badler 2002) and the studies of
gaze in conversation it builds on:
- Two states. Mutual gaze: the eyes hold the listener (the camera), with small saccades scanning
  their face. Gaze aversion: the eyes look away, then come back.
- Saccade amplitude: Lee et al. fit the share of saccades of amplitude A (degrees) as
  P(A) = -6.9 ln(A / 15.7); that density is the one of 15.7 * U1 * U2 for uniform U1, U2.
- Direction: eight directions with the shares Lee et al. measured while talking (horizontal the
  most frequent, straight down the least), left and right averaged; each target goes to the side
  that brings the eyes' time-averaged position back towards the listener (see _offset), so a
  clip's left and right looks balance.
- Duration (the main sequence): D = D0 + d * A with D0 = 25 ms, d = 2.4 ms/deg (Lee et al. use
  d in 2-2.7 ms/deg, D0 in 20-30 ms).
- Fixation times: gamma-distributed, never under MIN_FIXATION_S; mutual gaze and aversions last
  a second or two each, so that a speaker looks at the listener about half the time (Kendon
  1967: ~50%, 28-70% across speakers; Argyle & Cook 1976: ~40%).
- The voice: speakers tend to look away as a phrase begins and back at its end (Kendon 1967), so
  a phrase onset starts an aversion with probability AVERT_AT_PHRASE and a phrase end ends one.
Both eyes move together (conjugate, no vergence: the listener is far compared with the eyes'
spacing). The eyes hold their target while the head moves (vestibulo-ocular reflex): eye-in-head
rotation = gaze - head rotation.

Eye rotations: LeftEye*/RightEye* in degrees (yaw + towards the character's left, pitch + down,
roll 0), within +-EYE_RANGE_DEG (eye_look.py maps that range onto the eyeLook* weights).
"""
from __future__ import annotations

import numpy as np

from ..animation import Animation
from .events import holds
from .head_motion import HEAD_NAMES
from .rotation_channels import rotation, with_rotations
from .voice import Voice

EYE_NAMES = ("LeftEyeYaw", "LeftEyePitch", "LeftEyeRoll", "RightEyeYaw", "RightEyePitch",
             "RightEyeRoll")
# Eye-in-head rotation at an eyeLook weight of 1: the comfortable limit, beyond which people turn
# the head as well (eye-only gaze shifts stay within ~30 degrees).
EYE_RANGE_DEG = 30.0
AMPLITUDE_MAX_DEG = 15.7
SCAN_MAX_DEG = 4.0             # saccades within mutual gaze stay on the listener's face;
                               # aversions go further (Lee et al.'s distribution cut at 4 deg)
D0_S, D_S_PER_DEG = 0.025, 0.0024
# Directions (unit yaw, pitch; pitch + = down) and their shares in Lee et al.'s talking mode (%):
# up, down, left, right, up-left, up-right, down-left, down-right (left/right mirrored: symmetric).
DIRECTIONS = np.array([[0, -1], [0, 1], [1, 0], [-1, 0], [1, -1], [-1, -1], [1, 1], [-1, 1]],
                      np.float64)
DIRECTIONS /= np.linalg.norm(DIRECTIONS, axis=1, keepdims=True)
DIRECTION_P = np.array([15.5, 6.5, 17.3, 17.3, 7.7, 7.7, 14.0, 14.0]) / 100
MUTUAL_HOLD_S = 1.0            # mean time in mutual gaze before an aversion of its own accord
SCAN_FIXATION_S = 0.9          # mean fixation between face-scanning saccades
AVERT_FIXATION_S = 1.6         # mean length of a look away
GAMMA_SHAPE = 2.0
MIN_FIXATION_S = 0.15
AVERT_AT_PHRASE = 0.6


def _amplitude(rng: np.random.Generator, lo: float, hi: float) -> float:
    """An amplitude from Lee et al.'s distribution, restricted to [lo, hi] (by rejection)."""
    while True:
        a = AMPLITUDE_MAX_DEG * rng.random() * rng.random()
        if lo <= a <= hi:
            return a


def _offset(rng: np.random.Generator, away: bool, lean: float) -> np.ndarray:
    """A fixation target: on the listener's face, or (away) off it. `lean` is the clip's gaze so
    far, yaw integrated over time (degrees x seconds, + = to the character's left); the draw is
    mirrored when it would lean further the same way. Alternating sides alone balances the
    number of looks, not how far and how long they go: over a clip's few looks that left one
    eye turned out up to 1.16x more than the other. Recentring balances both, as the eyes'
    own pull back to the middle of the orbit does."""
    a = _amplitude(rng, SCAN_MAX_DEG, AMPLITUDE_MAX_DEG) if away else _amplitude(rng, 0.0, SCAN_MAX_DEG)
    target = a * DIRECTIONS[rng.choice(len(DIRECTIONS), p=DIRECTION_P)]
    if target[0] * lean > 0:
        target[0] = -target[0]
    return target


def _dwell(rng: np.random.Generator, mean: float) -> float:
    return max(rng.gamma(GAMMA_SHAPE, mean / GAMMA_SHAPE), MIN_FIXATION_S)


def fixations(voice: Voice) -> tuple[np.ndarray, np.ndarray]:
    """(start times s, (k, 2) gaze targets yaw/pitch in degrees relative to the listener)."""
    rng = voice.rng("gaze")
    onsets, ends = voice.phrases[:, 0], voice.phrases[:, 1]
    times, targets, lean = [0.0], [_offset(rng, False, 0.0)], 0.0
    t, away, mutual_left = 0.0, False, _dwell(rng, MUTUAL_HOLD_S)
    while t < voice.duration:
        if away:
            until = t + _dwell(rng, AVERT_FIXATION_S)
            end = ends[(ends > t + MIN_FIXATION_S) & (ends < until)]
            t, away = (end[0] if len(end) else until), False
            mutual_left = _dwell(rng, MUTUAL_HOLD_S)
        else:
            until = t + _dwell(rng, SCAN_FIXATION_S)
            onset = onsets[(onsets > t + MIN_FIXATION_S) & (onsets < until)]
            if len(onset) and rng.random() < AVERT_AT_PHRASE:
                t, away = onset[0], True
            else:
                mutual_left -= until - t
                t, away = until, mutual_left <= 0
        lean += targets[-1][0] * (t - times[-1])   # the last target, held until now
        targets.append(_offset(rng, away, lean))
        times.append(t)
    return np.array(times[:-1]), np.array(targets[:-1])


def saccade_durations(targets: np.ndarray) -> np.ndarray:
    amplitude = np.linalg.norm(np.diff(targets, axis=0, prepend=targets[:1]), axis=1)
    return D0_S + D_S_PER_DEG * amplitude


def add_gaze(anim: Animation, voice: Voice, amount: float) -> Animation:
    """Sets the eye rotations (LeftEye*/RightEye*) from the gaze model, the eyes compensating the
    head's HeadYaw/HeadPitch; amount scales the eye-in-head rotation (0: eyes still, no eye
    rotation channels).
    eye_look.py turns them into eyeLook* weights once blinks have added theirs."""
    n, fps = anim.num_frames, anim.fps
    if amount == 0 or n == 0:
        return anim
    times, targets = fixations(voice)
    gaze = holds(times, targets, saccade_durations(targets), n, fps)
    head = np.stack([rotation(anim, HEAD_NAMES[0]), rotation(anim, HEAD_NAMES[1])], axis=1)
    eye = np.clip(amount * (gaze - head), -EYE_RANGE_DEG, EYE_RANGE_DEG)
    zero = np.zeros(n)
    return with_rotations(anim, dict(zip(EYE_NAMES, (eye[:, 0], eye[:, 1], zero,
                                                     eye[:, 0], eye[:, 1], zero))))
