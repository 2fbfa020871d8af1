"""Write animation channels onto shape keys as one Action, in bulk.

Generic: any channel names (ARKit-52, FLAME expressions, ...) go to the shape keys a mapping names.
Each F-Curve gets all its keys with one keyframe_points.add and one foreach_set per attribute:
per-key keyframe_insert calls are two orders of magnitude slower on long clips (bench/).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import bpy
import numpy as np

from . import compat

_LINEAR = 1  # BEZT_IPO_LIN: one key per frame, so linear is exact and needs no handles


def shape_key_path(key_name: str) -> str:
    escaped = key_name.replace("\\", "\\\\").replace('"', '\\"')
    return f'key_blocks["{escaped}"].value'


def write_action(key: bpy.types.Key, action_name: str, channels: Sequence[str], weights: np.ndarray,
                 frame_start: int, mapping: Mapping[str, Sequence[str]]) -> bpy.types.Action:
    """A new Action with one key per frame (frame_start + i) per mapped shape key.

    weights: (frames, channels) at the scene frame rate. Channels mapped to nothing, and shape keys
    the mesh lacks, are left out: the caller reports them, this never fails on a partial rig.
    """
    weights = np.asarray(weights, dtype=np.float32)
    if weights.ndim != 2 or weights.shape[1] != len(channels):
        raise ValueError(f"weights must be (frames, {len(channels)}), got {weights.shape}")
    action = bpy.data.actions.new(action_name)
    if not compat.LAYERED_ACTIONS:  # (on 4.4+ this would add a stray "Legacy Slot")
        action.id_root = "KEY"
    fcurves = compat.new_fcurves(action, "KEY", action_name)
    count = weights.shape[0]
    co = np.empty((count, 2), dtype=np.float32)
    co[:, 0] = frame_start + np.arange(count, dtype=np.float32)
    interpolation = np.full(count, _LINEAR, dtype=np.int32)
    for index, channel in enumerate(channels):
        for target in mapping.get(channel, ()):
            if target not in key.key_blocks:
                continue
            fc = fcurves.new(shape_key_path(target), index=0)
            co[:, 1] = weights[:, index]
            points = fc.keyframe_points
            points.add(count)
            points.foreach_set("co", co.ravel())
            points.foreach_set("interpolation", interpolation)
            fc.update()
    return action
