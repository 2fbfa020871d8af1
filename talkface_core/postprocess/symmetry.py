"""Both sides of the face move alike: each bilateral shape (a smile, a frown, a squint, a brow)
takes the mean of its left and right weight. The network learnt a lopsided face from its teacher,
whose speakers each have a sided resting face and asymmetry that its few training voices do not
average out (the teacher's own training curves: browDown 0.125 left vs 0.111 right, eyeSquint
0.075 vs 0.066, smile 0.076 vs 0.071), and it comes out stronger: smiles up to 1.4x stronger on
the left on held-out voices. Retraining with mirrored faces evened it out but cost lip accuracy
against that lopsided teacher, so the balance is restored here. Directional pairs are left alone:
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
