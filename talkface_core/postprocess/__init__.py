"""Post-processing: layers that turn the network's raw ARKit curves into the delivered animation.

Each layer is a function Animation -> Animation in its own module that keeps the frame rate and
channels. `apply_layers` runs them in their one order, for every caller of generate(); a new layer
gets its module here and its place in that order (and its options on GenerationRequest).
"""
from __future__ import annotations

from ..animation import Animation
from ..request import GenerationRequest
from .blinks import add_blinks
from .lip_closure import close_lips_over_jaw
from .smoothing import smooth

__all__ = ["add_blinks", "apply_layers", "close_lips_over_jaw", "smooth"]


def apply_layers(anim: Animation, request: GenerationRequest) -> Animation:
    """The network's ARKit curves at the request's frame rate -> the ARKit animation delivered."""
    if request.smoothing:
        anim = smooth(anim, request.smoothing)
    if request.blinks:
        anim = add_blinks(anim, request.seed)
    return close_lips_over_jaw(anim)  # last: smoothing could lift mouthClose over jawOpen again
