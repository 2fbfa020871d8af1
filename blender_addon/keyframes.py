"""Write animation curves as one new Action, in bulk: one writer for shape-key actions (a Key's
`key_blocks["..."].value`) and bone actions (an Object's `pose.bones["..."].rotation_euler`).

Each F-Curve gets all its keys with one keyframe_points.add and one foreach_set per attribute:
per-key keyframe_insert calls are two orders of magnitude slower on long clips (bench/).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import bpy
import numpy as np

from . import compat

_LINEAR = 1  # BEZT_IPO_LIN: one key per frame, so linear is exact and needs no handles


@dataclass(frozen=True)
class Curve:
    data_path: str
    index: int
    values: np.ndarray   # (frames,), one key per frame from the action's first frame


def quoted(name: str) -> str:
    """A name as it goes between the quotes of an RNA path (key_blocks["..."])."""
    return name.replace("\\", "\\\\").replace('"', '\\"')


def shape_key_path(key_name: str) -> str:
    return f'key_blocks["{quoted(key_name)}"].value'


@dataclass(frozen=True)
class ActionPlan:
    """An action still to be written: its name, the datablock that will play it and that one's
    ID type ("KEY", "OBJECT"), and its curves."""
    name: str
    owner: bpy.types.ID
    id_type: str
    curves: list[Curve]


def write_action(name: str, id_type: str, curves: Sequence[Curve], frame_start: int) -> bpy.types.Action:
    """A new Action for datablocks of `id_type` ("KEY", "OBJECT") holding `curves`, keyed on
    frames frame_start, frame_start + 1, ... A failure leaves no half-written action behind."""
    action = bpy.data.actions.new(name)
    try:
        if not compat.LAYERED_ACTIONS:  # (on 4.4+ this would add a stray "Legacy Slot")
            action.id_root = id_type
        fcurves = compat.new_fcurves(action, id_type, name)
        for curve in curves:
            count = len(curve.values)
            co = np.empty((count, 2), dtype=np.float32)
            co[:, 0] = frame_start + np.arange(count, dtype=np.float32)
            co[:, 1] = curve.values
            fc = fcurves.new(curve.data_path, index=curve.index)
            points = fc.keyframe_points
            points.add(count)
            points.foreach_set("co", co.ravel())
            points.foreach_set("interpolation", np.full(count, _LINEAR, dtype=np.int32))
            fc.update()
    except BaseException:
        bpy.data.actions.remove(action)
        raise
    return action


def write_actions(plans: Sequence[ActionPlan], frame_start: int) -> list[bpy.types.Action]:
    """Write every planned action, or (on a failure) none of them."""
    written: list[bpy.types.Action] = []
    try:
        for plan in plans:
            written.append(write_action(plan.name, plan.id_type, plan.curves, frame_start))
    except BaseException:
        for action in written:
            bpy.data.actions.remove(action)
        raise
    return written


def shape_key_curves(key: bpy.types.Key, channels: Sequence[str], weights: np.ndarray,
                     mapping: Mapping[str, Sequence[str]]) -> list[Curve]:
    """One curve per mapped shape key the mesh has. weights: (frames, channels) at the scene
    rate. Channels mapped to nothing, and shape keys the mesh lacks, are left out: the caller
    reports them, so a partial rig never fails."""
    weights = np.asarray(weights, dtype=np.float32)
    if weights.ndim != 2 or weights.shape[1] != len(channels):
        raise ValueError(f"weights must be (frames, {len(channels)}), got {weights.shape}")
    return [Curve(shape_key_path(target), 0, weights[:, index])
            for index, channel in enumerate(channels)
            for target in mapping.get(channel, ()) if target in key.key_blocks]


def bone_path(bone_name: str) -> str:
    """The RNA path prefix of a pose bone, for its rotation_* properties."""
    return f'pose.bones["{quoted(bone_name)}"].'


def bone_rotation_curves(bone_name: str, euler: np.ndarray) -> list[Curve]:
    """The three rotation_euler curves of a pose bone, from (frames, 3) radians."""
    return [Curve(bone_path(bone_name) + "rotation_euler", axis, np.asarray(euler[:, axis], np.float32))
            for axis in range(3)]


def rotation_curves(prefix: str, mode: str, matrices: np.ndarray) -> list[Curve]:
    """Curves of (frames, 3, 3) rotation matrices in an object's or pose bone's own rotation
    mode (`mode` as Blender names it: QUATERNION, AXIS_ANGLE or an Euler order such as XYZ), on
    its rotation_* property under `prefix` ("" for an object, bone_path(name) for a bone)."""
    from scipy.spatial.transform import Rotation

    rot = Rotation.from_matrix(np.asarray(matrices, np.float64))
    if mode == "QUATERNION":
        xyzw = rot.as_quat()
        xyzw *= np.where(xyzw[:, 3:] < 0, -1.0, 1.0)   # one hemisphere: no flips between keys
        values, prop = xyzw[:, [3, 0, 1, 2]], "rotation_quaternion"
    elif mode == "AXIS_ANGLE":
        vec = rot.as_rotvec()
        angle = np.linalg.norm(vec, axis=1)
        axis = np.where(angle[:, None] > 1e-9, vec / np.maximum(angle, 1e-12)[:, None], [0.0, 1.0, 0.0])
        values, prop = np.column_stack([angle, axis]), "rotation_axis_angle"
    else:
        # Blender's Euler "XYZ" is R = Rz Ry Rx: extrinsic x, then y, then z (scipy's lowercase).
        angles = rot.as_euler(mode.lower())
        order = ["XYZ".index(c) for c in mode]
        values, prop = np.empty_like(angles), "rotation_euler"
        values[:, order] = angles
    return [Curve(prefix + prop, i, values[:, i].astype(np.float32)) for i in range(values.shape[1])]
