"""FLAME rigs in Blender: detect one, and key a FLAME Animation onto it.

A FLAME rig is what the FLAME Blender add-on (and talkface's "Create FLAME head") builds: a mesh
with expression shape keys "Exp000".., parented to an armature with a "jaw" bone, optionally with
FLAME's pose-corrective keys "Pose1".."Pose36" (the jaw's are Pose10..Pose18, on R - I).
Expression channels and jaw correctives go to the shape keys through the generic keyframe writer;
the jaw rotation (FLAME axis-angle, model frame) becomes the jaw bone's XYZ Euler rotation, in its
own action on the armature's NLA, so each clip can be moved or muted like any other.
"""
from __future__ import annotations

import functools
import os

import bpy
import numpy as np

from talkface_core.flame import JAW, load_flame
from talkface_core.flame_mapping import JAW_CHANNELS

from . import compat, keyframes, placement, rig

MODEL_PROP = "talkface_flame_model"  # custom property on the mesh: path of the user's FLAME file
LANDMARKS_PROP = "talkface_flame_landmarks"  # optional: its landmark embedding file, if separate
JAW_BONE = "jaw"
EXPRESSION_PREFIX = "Exp"
# The jaw's block of FLAME's pose features (R - I of joints 1..4) and the add-on's key names for it.
CORRECTIVE_SLICE = slice(9 * (JAW - 1), 9 * JAW)
CORRECTIVES = tuple(f"Pose{i + 1}" for i in range(CORRECTIVE_SLICE.start, CORRECTIVE_SLICE.stop))
_MIN_EXPRESSIONS = 10
_LINEAR = 1


def expression_keys(mesh: bpy.types.Object) -> list[str]:
    return [n for n in rig.shape_key_names(mesh)
            if n.startswith(EXPRESSION_PREFIX) and n[len(EXPRESSION_PREFIX):].isdigit()]


def jaw_bone(mesh: bpy.types.Object):
    """(armature object, jaw pose bone), or (None, None)."""
    armature = rig.armature_of(mesh)
    if armature is None or JAW_BONE not in armature.pose.bones:
        return None, None
    return armature, armature.pose.bones[JAW_BONE]


def is_flame_rig(mesh: bpy.types.Object | None) -> bool:
    """Expression keys Exp000.. and a jaw (a jaw bone, or the jaw's pose correctives)."""
    if mesh is None or mesh.type != "MESH":
        return False
    keys = set(rig.shape_key_names(mesh))
    has_jaw = jaw_bone(mesh)[1] is not None or set(CORRECTIVES) <= keys
    return "Exp000" in keys and len(expression_keys(mesh)) >= _MIN_EXPRESSIONS and has_jaw


def describe(mesh: bpy.types.Object) -> str:
    """One line for reports and panels, e.g. "FLAME rig: 100 expression keys + jaw bone"."""
    jaw = "jaw bone" if jaw_bone(mesh)[1] is not None else "jaw correctives"
    return f"FLAME rig: {len(expression_keys(mesh))} expression keys + {jaw}"


def model_path(mesh: bpy.types.Object, prop: str = MODEL_PROP) -> str:
    return bpy.path.abspath(mesh.get(prop, "")) if mesh.get(prop) else ""


def generate_options(mesh: bpy.types.Object) -> dict[str, str]:
    """Extra generate() arguments for the target: FLAME output for a FLAME rig, else none."""
    if not is_flame_rig(mesh):
        return {}
    path = model_path(mesh)
    if not path:
        raise ValueError(f'"{mesh.name}" is a FLAME rig: choose its FLAME model file (TalkFace > '
                         "FLAME > Model file) so talkface can map ARKit onto its expressions")
    options = {"output_space": "flame", "flame_model": path}
    if landmarks := model_path(mesh, LANDMARKS_PROP):
        options["flame_landmarks"] = landmarks
    return options


def is_flame_animation(anim) -> bool:
    return bool(anim.names) and anim.names[0] == "Exp000" and anim.names[-3:] == JAW_CHANNELS


# -- rotations (numpy, per frame) ---------------------------------------------------------------

def rotation_matrices(theta: np.ndarray) -> np.ndarray:
    """(T, 3, 3) from axis-angle (T, 3), Rodrigues' formula."""
    angle = np.linalg.norm(theta, axis=1)
    axis = theta / np.where(angle > 0, angle, 1.0)[:, None]
    k = np.zeros((len(theta), 3, 3))
    k[:, 0, 1], k[:, 0, 2], k[:, 1, 2] = -axis[:, 2], axis[:, 1], -axis[:, 0]
    k -= k.transpose(0, 2, 1)
    s, c = np.sin(angle)[:, None, None], np.cos(angle)[:, None, None]
    return np.eye(3) + s * k + (1 - c) * k @ k


def euler_xyz(rot: np.ndarray) -> np.ndarray:
    """(T, 3) Blender 'XYZ' Euler angles of rotation matrices R = Rz @ Ry @ Rx."""
    return np.stack([np.arctan2(rot[:, 2, 1], rot[:, 2, 2]),
                     np.arcsin(np.clip(-rot[:, 2, 0], -1.0, 1.0)),
                     np.arctan2(rot[:, 1, 0], rot[:, 0, 0])], axis=1)


def fit_rotation(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """The rotation best taking centred `source` points onto `target` (Kabsch)."""
    a, b = source - source.mean(axis=0), target - target.mean(axis=0)
    u, _, vt = np.linalg.svd(a.T @ b)
    d = np.sign(np.linalg.det(vt.T @ u.T))
    return vt.T @ np.diag([1.0, 1.0, d]) @ u.T


def _basis_coords(mesh: bpy.types.Object) -> np.ndarray:
    key = mesh.data.shape_keys
    block = key.reference_key if key else None
    data = block.data if block else mesh.data.vertices
    co = np.empty(len(data) * 3)
    data.foreach_get("co", co)
    return co.reshape(-1, 3)


@functools.lru_cache(maxsize=2)
def _template(path: str, _mtime: float) -> np.ndarray:
    return load_flame(path, need_landmarks=False).v_template


def flame_to_mesh_rotation(mesh: bpy.types.Object) -> np.ndarray:
    """How FLAME's model axes sit in the mesh's local axes, from the mesh's rest shape against the
    model's mean head: identity when the mesh holds FLAME's coordinates as they are (talkface's
    head); a rig converted to Blender's Z-up shows up as a 90-degree turn. Identity when the model
    file is not set or its vertex count differs from the mesh's."""
    path = model_path(mesh)
    if not path or not os.path.isfile(path):
        return np.eye(3)
    v_template = _template(path, os.path.getmtime(path))
    if len(v_template) != len(mesh.data.vertices):
        return np.eye(3)
    return fit_rotation(v_template, _basis_coords(mesh))


def jaw_euler(mesh: bpy.types.Object, armature: bpy.types.Object, bone, theta: np.ndarray,
              flame_to_mesh: np.ndarray) -> np.ndarray:
    """(T, 3) Euler XYZ of the jaw pose bone for FLAME jaw poses theta (T, 3): the rotation is
    carried from FLAME's axes to the mesh, the armature, then the bone's rest frame."""
    if mesh.parent == armature and mesh.parent_type == "OBJECT":
        # From the parenting itself: world matrices are stale until the depsgraph next updates.
        relative = mesh.matrix_parent_inverse @ mesh.matrix_basis
    else:
        relative = armature.matrix_world.inverted() @ mesh.matrix_world
    mesh_to_arm = np.array(relative.to_3x3())
    mesh_to_arm /= np.cbrt(np.linalg.det(mesh_to_arm))  # drop uniform scale
    to_arm = mesh_to_arm @ flame_to_mesh
    rest = np.array(bone.bone.matrix_local.to_3x3())
    to_bone = rest.T @ to_arm
    return euler_xyz(to_bone @ rotation_matrices(theta) @ to_bone.T)


# -- writing a clip --------------------------------------------------------------------------------

def _write_bone_action(name: str, bone_name: str, euler: np.ndarray, frame_start: int):
    """An Object action with one key per frame on the bone's rotation_euler, written in bulk."""
    action = bpy.data.actions.new(name)
    if not compat.LAYERED_ACTIONS:  # on 4.4+ setting id_root adds an empty legacy slot first
        action.id_root = "OBJECT"
    fcurves = compat.new_fcurves(action, "OBJECT", name)
    count = len(euler)
    co = np.empty((count, 2), dtype=np.float32)
    co[:, 0] = frame_start + np.arange(count, dtype=np.float32)
    path = f'pose.bones["{bone_name}"].rotation_euler'
    for index in range(3):
        fc = fcurves.new(path, index=index)
        co[:, 1] = euler[:, index]
        fc.keyframe_points.add(count)
        fc.keyframe_points.foreach_set("co", co.ravel())
        fc.keyframe_points.foreach_set("interpolation", np.full(count, _LINEAR, dtype=np.int32))
        fc.update()
    return action


def apply_result(scene: bpy.types.Scene, mesh: bpy.types.Object, clip, anim) -> list[str]:
    """Key a FLAME Animation (Exp000.., JawRotX/Y/Z) onto a FLAME rig as the clip's actions: the
    expression keys and jaw correctives on the shape keys, the jaw bone's rotation on the
    armature; plus the clip's sound strip. Returns the channels the rig could not take."""
    fps = scene.render.fps / scene.render.fps_base
    if abs(anim.fps - fps) > 1e-9:
        anim = anim.resample(fps)
    start, uid, label = clip.frame_start, clip.ensure_uid(), f"TalkFace: {clip.name}"
    theta = anim.weights[:, -3:].astype(np.float64)
    key = mesh.data.shape_keys
    expressions = list(anim.names[:-3])
    channels, weights = expressions, anim.weights[:, :-3]
    if set(CORRECTIVES) <= set(key.key_blocks.keys()):
        # FLAME's pose correctives are linear in the entries of R - I of the jaw rotation.
        offsets = (rotation_matrices(theta) - np.eye(3)).reshape(-1, 9)
        channels, weights = channels + list(CORRECTIVES), np.hstack([weights, offsets])
    end = start + anim.num_frames - 1
    action = keyframes.write_action(key, f"TF {clip.name}", channels, weights, start,
                                    {c: [c] for c in channels})
    placement.place_clip_action(key, action, uid, label, start, end)
    skipped = [c for c in expressions if c not in key.key_blocks]

    armature, bone = jaw_bone(mesh)
    if bone is None:
        skipped += list(JAW_CHANNELS)
    else:
        bone.rotation_mode = "XYZ"
        euler = jaw_euler(mesh, armature, bone, theta, flame_to_mesh_rotation(mesh))
        jaw_action = _write_bone_action(f"TF {clip.name} jaw", bone.name, euler, start)
        placement.place_clip_action(armature, jaw_action, uid, label, start, end)
    placement.place_clip_sound(scene, bpy.path.abspath(clip.filepath), uid, clip.name, start)
    placement.extend_scene_range(scene, start, end)
    return skipped
