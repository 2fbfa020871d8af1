"""Head motion from the voice: HeadYaw / HeadPitch / HeadRoll in degrees.

Three parts, each after the speech research on "visual prosody":
- nods on accented syllables: the head dips and returns with the stress (Hadar et al. 1983, head
  movement during speech; Graf et al. 2002 measured nods of a few degrees on pitch accents);
- the head rises and falls with the voice's pitch over a phrase (F0 and head motion correlate
  strongly: Yehia, Kuratate & Vatikiotis-Bateson 2002; Busso et al. 2007): the contour is
  smoothed over F0_SMOOTH_S, slower than a syllable, so it carries the phrase's melody (and its
  declination) and leaves the syllable-rate nods their own;
- a new posture, turned and tilted, at each phrase boundary (Hadar et al. 1983: the largest
  head movements fall at pauses and phrase starts; Busso et al. 2007 synthesise head motion
  phrase by phrase). The postures are the seeded part: where a person turns is not in the voice.

Sign convention (the character's own frame, as Animation.rotations documents in channels.py):
yaw + turns to the character's left, pitch + tips the chin down, roll + tilts the top of the head
towards the character's left shoulder.
"""
from __future__ import annotations

import numpy as np

from ..animation import Animation
from .events import frame_times, holds, pulses
from .rotation_channels import with_rotations
from .voice import Voice

HEAD_NAMES = ("HeadYaw", "HeadPitch", "HeadRoll")
NOD_DEG = 3.0                  # a full-strength accent
NOD_RISE_S, NOD_FALL_S = 0.12, 0.35
F0_DEG_PER_SEMITONE = 0.5      # head up as the voice rises (negative pitch = chin up)
F0_SMOOTH_S = 1.0
# Posture spread per phrase (yaw, pitch, roll), in degrees: a speaker's head stays within about
# +-10 degrees of facing the listener, turning most, tilting less, pitching least besides nods.
POSTURE_STD_DEG = np.array([4.0, 1.5, 2.5])
POSTURE_MOVE_S = 0.8
POSTURE_LEAD_S = 0.2           # the head starts moving just before the phrase's first syllable


def head_rotations(voice: Voice, n_frames: int, fps: float) -> np.ndarray:
    """(n_frames, 3) yaw, pitch, roll in degrees at amount 1."""
    starts = voice.phrases[:, 0] - POSTURE_LEAD_S
    rng = voice.rng("head")
    postures = rng.normal(0.0, 1.0, (len(starts), 3)) * POSTURE_STD_DEG
    # Turns and tilts go to one side, then the other (the first side seeded): the head swings
    # across the listener rather than drifting away, and a clip's face stays symmetric.
    for axis in (0, 2):
        sides = rng.choice([-1.0, 1.0]) * (-1.0) ** np.arange(len(starts))
        postures[:, axis] = np.abs(postures[:, axis]) * sides
    rot = holds(starts, postures, POSTURE_MOVE_S, n_frames, fps)
    accent_t, strength = voice.accents()
    rot[:, 1] += pulses(accent_t, NOD_DEG * strength, n_frames, fps, NOD_RISE_S, NOD_FALL_S)
    rot[:, 1] -= F0_DEG_PER_SEMITONE * voice.at(voice.intonation(F0_SMOOTH_S), frame_times(n_frames, fps))
    return rot


def add_head_motion(anim: Animation, voice: Voice, amount: float) -> Animation:
    """Sets HeadYaw/HeadPitch/HeadRoll: the voice's head motion scaled by amount (0: a still head,
    zeros)."""
    rot = amount * head_rotations(voice, anim.num_frames, anim.fps) if amount else \
        np.zeros((anim.num_frames, 3))
    return with_rotations(anim, dict(zip(HEAD_NAMES, rot.T)))
