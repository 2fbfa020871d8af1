"""Post-processing: layers that turn the network's raw ARKit curves into the delivered animation.

Each layer is a function Animation -> Animation in its own module that keeps the frame rate and
channels. `apply_layers` runs them in their one order, for every caller of generate(); a new layer
gets its module here and its place in that order (and its options on GenerationRequest). Layers
that follow the voice read it from a Voice (voice.py), measured once per clip.
"""
from __future__ import annotations

from ..animation import Animation
from ..request import GenerationRequest
from .blinks import add_blinks
from .brows import add_brow_raises
from .expression_links import add_expression_links
from .eye_look import add_eye_looks
from .gaze import add_gaze
from .head_motion import add_head_motion
from .held_expression import hold_expression
from .jaw_sideways import add_jaw_sideways
from .lip_closure import close_lips_over_jaw
from .rest import settle_lips
from .smoothing import smooth
from .symmetry import balance_sides
from .voice import Voice

__all__ = ["Voice", "add_blinks", "add_brow_raises", "add_expression_links", "add_eye_looks", "add_gaze",
           "add_head_motion", "add_jaw_sideways", "apply_layers", "balance_sides", "close_lips_over_jaw", "hold_expression",
           "settle_lips", "smooth"]


def apply_layers(anim: Animation, request: GenerationRequest, voice: Voice) -> Animation:
    """The network's ARKit curves at the request's frame rate -> the ARKit animation delivered."""
    if request.smoothing:
        anim = smooth(anim, request.smoothing)
    anim = balance_sides(anim)
    anim = hold_expression(anim, voice, request.timeline)   # the emotion holds through pauses ...
    anim = settle_lips(anim, voice)         # ... while the lips come to rest
    anim = add_head_motion(anim, voice, request.head_motion)
    anim = add_gaze(anim, voice, request.gaze)          # after the head: the eyes compensate it
    if request.blinks:
        anim = add_blinks(anim, voice, request.blink_rate, request.blink_amount)  # after gaze shifts
    anim = add_eye_looks(anim)                          # the eyes' final rotations as eyeLook*
    anim = add_brow_raises(anim, voice, request.upper_face)
    anim = add_expression_links(anim, request.emotion, request.intensity, request.upper_face)
    anim = add_jaw_sideways(anim, voice, request.upper_face)
    return close_lips_over_jaw(anim)  # last: smoothing could lift mouthClose over jawOpen again
