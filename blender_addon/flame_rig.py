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

from talkface_core.animation import Animation
from talkface_core.flame.mapping import JAW_CHANNELS
from talkface_core.flame.model import JAW, load_flame
from talkface_core.flame.rotations import euler_xyz, fit_rotation, rotation_matrices
from talkface_core.request import FlameOutput

from . import compat, head_rig, keyframes

MODEL_PROP = "talkface_flame_model"  # custom property on the mesh: path of the user's FLAME file
LANDMARKS_PROP = "talkface_flame_landmarks"  # optional: its landmark embedding file, if separate
JAW_BONE = "jaw"
EXPRESSION_PREFIX = "Exp"
# The jaw's block of FLAME's pose features (R - I of joints 1..4) and the add-on's key names for it.
CORRECTIVE_SLICE = slice(9 * (JAW - 1), 9 * JAW)
CORRECTIVES = tuple(f"Pose{i + 1}" for i in range(CORRECTIVE_SLICE.start, CORRECTIVE_SLICE.stop))
_MIN_EXPRESSIONS = 10


def expression_keys(mesh: bpy.types.Object) -> list[str]:
    return [n for n in head_rig.shape_key_names(mesh)
            if n.startswith(EXPRESSION_PREFIX) and n[len(EXPRESSION_PREFIX):].isdigit()]


def jaw_bone(mesh: bpy.types.Object):
    """(armature object, its jaw bone), or (None, None). The armature's bones, not its pose: a new
    armature has no pose (None) until Blender first evaluates it."""
    armature = head_rig.armature_of(mesh)
    if armature is None or JAW_BONE not in armature.data.bones:
        return None, None
    return armature, armature.data.bones[JAW_BONE]


def jaw_pose_bone(mesh: bpy.types.Object):
    """The jaw's pose bone, which holds the keyed rotation (None without a jaw bone). Builds the
    armature's pose if Blender has not evaluated it yet; ValueError if it cannot be built."""
    armature, bone = jaw_bone(mesh)
    if bone is None:
        return None
    if armature.pose is None:
        bpy.context.view_layer.update()
    if armature.pose is None:
        raise ValueError(f'Armature "{armature.name}" has no pose (it is not in this view '
                         "layer): link it to the scene to animate its jaw")
    return armature.pose.bones[JAW_BONE]


def is_flame_rig(mesh: bpy.types.Object | None) -> bool:
    """Expression keys Exp000.. and a jaw (a jaw bone, or the jaw's pose correctives)."""
    if mesh is None or mesh.type != "MESH":
        return False
    keys = set(head_rig.shape_key_names(mesh))
    has_jaw = jaw_bone(mesh)[1] is not None or set(CORRECTIVES) <= keys
    return "Exp000" in keys and len(expression_keys(mesh)) >= _MIN_EXPRESSIONS and has_jaw


def describe(mesh: bpy.types.Object) -> str:
    """One line for reports and panels, e.g. "FLAME rig: 100 expression keys + jaw bone"."""
    jaw = "jaw bone" if jaw_bone(mesh)[1] is not None else "jaw correctives"
    return f"FLAME rig: {len(expression_keys(mesh))} expression keys + {jaw}"


def model_path(mesh: bpy.types.Object, prop: str = MODEL_PROP) -> str:
    path = compat.stored_string(mesh, prop)
    return bpy.path.abspath(path) if path else ""


def flame_output(mesh: bpy.types.Object) -> FlameOutput | None:
    """The FLAME output a FLAME rig takes (its model file, and landmarks if set), else None."""
    if not is_flame_rig(mesh):
        return None
    path = model_path(mesh)
    if not path:
        raise ValueError(f'"{mesh.name}" is a FLAME rig: choose its FLAME model file (TalkFace > '
                         "FLAME > Model file) so talkface can map ARKit onto its expressions")
    jaw_pose_bone(mesh)  # before generating: a rig whose jaw cannot be keyed fails now
    return FlameOutput(path, model_path(mesh, LANDMARKS_PROP) or None)


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


def jaw_euler(mesh: bpy.types.Object, armature: bpy.types.Object, bone: bpy.types.Bone,
              theta: np.ndarray, flame_to_mesh: np.ndarray) -> np.ndarray:
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
    rest = np.array(bone.matrix_local.to_3x3())
    to_bone = rest.T @ to_arm
    return euler_xyz(to_bone @ rotation_matrices(theta) @ to_bone.T)


# -- a clip's actions ------------------------------------------------------------------------------

def clip_plans(mesh: bpy.types.Object, name: str, anim: Animation
               ) -> tuple[list[keyframes.ActionPlan], list[str]]:
    """The actions a FLAME Animation (Exp000.., JawRotX/Y/Z, at the scene rate) becomes on a
    FLAME rig: the expression keys and jaw correctives on the shape keys, the jaw bone's rotation
    on the armature (so each clip can be moved or muted like any other). Returns them with the
    channels the rig cannot take; nothing is written yet."""
    jaw = [anim.names.index(c) for c in JAW_CHANNELS]
    theta = anim.weights[:, jaw].astype(np.float64)
    key = mesh.data.shape_keys
    expressions = [n for n in anim.names if n not in JAW_CHANNELS]
    channels, weights = expressions, anim.weights[:, [anim.names.index(n) for n in expressions]]
    if set(CORRECTIVES) <= set(key.key_blocks.keys()):
        # FLAME's pose correctives are linear in the entries of R - I of the jaw rotation.
        offsets = (rotation_matrices(theta) - np.eye(3)).reshape(-1, 9)
        channels, weights = channels + list(CORRECTIVES), np.hstack([weights, offsets])
    curves = keyframes.shape_key_curves(key, channels, weights, {c: [c] for c in channels})
    plans = [keyframes.ActionPlan(f"TF {name}", key, "KEY", curves)]
    skipped = [c for c in expressions if c not in key.key_blocks]

    pose_bone = jaw_pose_bone(mesh)
    if pose_bone is None:
        return plans, skipped + list(JAW_CHANNELS)
    armature = head_rig.armature_of(mesh)
    euler = jaw_euler(mesh, armature, pose_bone.bone, theta, flame_to_mesh_rotation(mesh))
    plans.append(keyframes.ActionPlan(f"TF {name} jaw", armature, "OBJECT",
                                      keyframes.bone_rotation_curves(pose_bone.name, euler)))
    pose_bone.rotation_mode = "XYZ"  # the keys are Euler angles
    return plans, skipped
