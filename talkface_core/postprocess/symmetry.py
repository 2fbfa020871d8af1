"""Both sides of the face move alike: each bilateral shape (a smile, a frown, a squint, a brow)
takes the mean of its left and right weight. The lopsided smiles came from the teacher: its
speakers each had a sided resting face and a left/right gain that its few training voices did not
average out (training curves browDown 0.125 left vs 0.111 right, smile 0.076 vs 0.071), and the
network came out stronger on the left, up to 1.4x on held-out voices. The teacher is symmetric
now and the shipped checkpoints were retrained on it; this layer keeps the guarantee for any
checkpoint (an older one, one trained on lopsided data). Directional pairs are left alone:
eyeLook* (the two eyes turn the same way, not mirror-wise), jawLeft/Right and mouthLeft/Right
(sideways motion, balanced by the layers that make it)."""
from __future__ import annotations

from ..animation import Animation

BILATERAL = ("eyeSquint", "eyeWide", "mouthSmile", "mouthFrown", "mouthDimple", "mouthStretch",
             "mouthPress", "mouthLowerDown", "mouthUpperUp", "browDown", "browOuterUp",
             "cheekSquint", "noseSneer")


def balance_sides(anim: Animation) -> Animation:
    pairs = [(anim.names.index(f"{s}Left"), anim.names.index(f"{s}Right")) for s in BILATERAL
             if f"{s}Left" in anim.names and f"{s}Right" in anim.names]
    if not pairs:
        return anim
    w = anim.weights.copy()
    for left, right in pairs:
        w[:, left] = w[:, right] = 0.5 * (anim.weights[:, left] + anim.weights[:, right])
    return anim.with_weights(w)
