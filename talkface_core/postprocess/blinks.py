"""Spontaneous blinks on eyeBlinkLeft/Right: when, and how the lids move.

When: a renewal process with gamma-distributed gaps at the requested rate (blinks a minute;
Bentivoglio et al. 1997 measured 17 at rest, 26 in conversation, 4.5 while reading), made more
likely where people blink more: in the pause after a phrase (speakers' blinks gather at the
boundaries of what they say: Cummins 2012, "Gaze and blinking in dyadic conversation") and with
gaze shifts, the
more the larger the shift (Evinger et al. 1994, "Not looking while leaping"). Those boosts only
move blinks in time: the hazard is rescaled to keep the requested rate. The clip's Voice seed
(request seed + audio hash) draws the times, so no two clips blink on the same frames.

How: the lids close fast and open slowly (closing ~0.1 s, opening 2-3 times longer: VanderWerf
et al. 2003), to `amount` (1 = fully shut); behind them the eyes dip down and nasally by a few
degrees and come back (Collewijn, van der Steen & Steinman 1985; Riggs et al. 1987), on the eye
rotation channels when the animation has them.
"""
from __future__ import annotations

import numpy as np

from ..animation import Animation
from .events import pulses
from .gaze import EYE_NAMES
from .rotation_channels import rotation, with_rotations
from .voice import ANALYSIS_FPS, Voice

BLINK_NAMES = ("eyeBlinkLeft", "eyeBlinkRight")
CONVERSATION_RATE = 26.0        # blinks a minute while talking (Bentivoglio et al. 1997)
MAX_RATE = 60.0
GAP_SHAPE = 3.0                 # gamma shape of the gaps: skewed, rarely very short
MIN_GAP_S = 0.6
CLOSE_S, OPEN_S = 0.09, 0.23
PAUSE_BOOST, PAUSE_WINDOW_S = 3.0, 0.5    # hazard x(1 + 3) in the first 0.5 s of a pause
SHIFT_BOOST_PER_DEG = 0.3                 # hazard x(1 + 0.3 per degree) just after a gaze shift
SHIFT_WINDOW_S = 0.2
BUSY = 0.3       # eyeBlink already above this (a squint, closed eyes): no blink added there
EYES_DOWN_DEG, EYES_IN_DEG = 3.0, 1.5     # the eyes' dip at full closure


def _gaze_speed(anim: Animation, times: np.ndarray) -> np.ndarray:
    """Degrees the eyes turn per analysis frame, from the eye rotation channels (0 without)."""
    yaw, pitch = rotation(anim, EYE_NAMES[0]), rotation(anim, EYE_NAMES[1])
    if anim.num_frames < 2:
        return np.zeros(len(times))
    t = np.arange(anim.num_frames) / anim.fps
    yaw, pitch = np.interp(times, t, yaw), np.interp(times, t, pitch)
    return np.hypot(np.diff(yaw, prepend=yaw[0]), np.diff(pitch, prepend=pitch[0]))


def hazard(anim: Animation, voice: Voice) -> np.ndarray:
    """Relative blink likelihood per analysis frame (mean 1)."""
    times = voice.times
    boost = np.ones(len(times))
    for end in voice.phrases[:, 1]:
        boost[(times >= end) & (times < end + PAUSE_WINDOW_S)] += PAUSE_BOOST
    window = max(int(SHIFT_WINDOW_S * ANALYSIS_FPS), 1)
    shifted = np.convolve(_gaze_speed(anim, times), np.ones(window), mode="full")[:len(times)]
    boost += SHIFT_BOOST_PER_DEG * shifted
    return boost / boost.mean()


def blink_times(anim: Animation, voice: Voice, rate: float) -> np.ndarray:
    """Blink start times (s): gamma gaps in the hazard's own time (time rescaling), so the clip
    keeps `rate` blinks a minute on average while they gather where the hazard is high."""
    if rate <= 0 or voice.duration <= 0:
        return np.zeros(0)
    rng = voice.rng("blinks")
    clock = np.concatenate([[0.0], np.cumsum(hazard(anim, voice)) / ANALYSIS_FPS])
    grid = np.arange(len(clock)) / ANALYSIS_FPS
    mean_gap = 60.0 / rate
    times: list[float] = []
    tick = rng.uniform(0, mean_gap)          # the clip starts somewhere in a gap
    while tick < clock[-1]:                  # one step per blink (a few dozen a minute)
        t = float(np.interp(tick, clock, grid))
        if times and t - times[-1] < MIN_GAP_S:  # the lids need a moment: push it, keep it
            t = times[-1] + MIN_GAP_S
            tick = float(np.interp(t, grid, clock))
        if t >= voice.duration:
            break
        times.append(t)
        tick += rng.gamma(GAP_SHAPE, mean_gap / GAP_SHAPE)
    return np.array(times)


def add_blinks(anim: Animation, voice: Voice, rate: float = CONVERSATION_RATE,
               amount: float = 1.0) -> Animation:
    """Blinks on eyeBlinkLeft/Right (both lids together), over spans that do not blink already."""
    if not all(n in anim.names for n in BLINK_NAMES) or amount <= 0:
        return anim
    cols = [anim.names.index(n) for n in BLINK_NAMES]
    w = anim.weights.copy()
    starts = blink_times(anim, voice, rate)
    if anim.num_frames and len(starts):
        span = np.round(starts * anim.fps).astype(np.int64)[:, None] + np.arange(
            int(np.ceil((CLOSE_S + OPEN_S) * anim.fps)) + 1)
        busy = w[np.clip(span, 0, anim.num_frames - 1)][:, :, cols].max(axis=(1, 2)) > BUSY
        starts = starts[~busy]
    # A blink "starts" when the lids begin to close: its apex is CLOSE_S later.
    lid = np.clip(amount * pulses(starts + CLOSE_S, np.ones(len(starts)), anim.num_frames, anim.fps,
                                  CLOSE_S, OPEN_S), 0.0, 1.0)
    for c in cols:
        w[:, c] = np.maximum(w[:, c], lid)
    anim = anim.with_weights(w)
    if not set(EYE_NAMES) <= set(anim.rotation_names):
        return anim
    # Nasal = towards the nose: the left eye turns to the character's right (yaw -), the right eye left.
    dips = {EYE_NAMES[0]: -EYES_IN_DEG, EYE_NAMES[1]: EYES_DOWN_DEG,
            EYE_NAMES[3]: EYES_IN_DEG, EYE_NAMES[4]: EYES_DOWN_DEG}
    return with_rotations(anim, {n: rotation(anim, n) + d * lid for n, d in dips.items()})
