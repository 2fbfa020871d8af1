"""Head and eye rotations of an Animation onto the rig: a head/neck bone of the target's armature
(or, when asked, the head object itself), and optionally eye bones.

The Animation's HeadYaw/Pitch/Roll and LeftEye*/RightEye* are degrees in the character's frame
(channels.py), which in Blender is the world's: Z up, the face looking along -Y, the character's
left at +X. A rotation R in that frame becomes the pose rotation C^T R C of a bone whose rest
orientation in the world is C (armature rotation x the bone's rest), keyed in the bone's own
rotation mode, so a rig's quaternion or Euler settings are left as the animator set them. Each
clip's rotations go in their own action on the owner's NLA (tagged "<clip id>/head", apart from
a FLAME rig's jaw action on the same armature), blended with COMBINE, so they add to the
animator's own head animation instead of replacing it. apply.py writes it with the clip's other
actions: all or nothing.
"""
from __future__ import annotations

import re

import bpy
import numpy as np

from talkface_core.animation import Animation

from . import head_rig, keyframes, placement

HEAD = ("HeadYaw", "HeadPitch", "HeadRoll")
EYES = {"Left": ("LeftEyeYaw", "LeftEyePitch", "LeftEyeRoll"),
        "Right": ("RightEyeYaw", "RightEyePitch", "RightEyeRoll")}
_HELPER = re.compile(r"^(def|org|mch|drv)[-_.:]", re.IGNORECASE)   # rigify's deform/helper bones
_LEAF = re.compile(r"(top|end|tip|nub|target|tgt)", re.IGNORECASE)
_NOT_EYEBALL = re.compile(r"(lid|brow|lash|socket|target|tgt|track)", re.IGNORECASE)


def clip_tag(clip_id: str) -> str:
    return f"{clip_id}/head"


def _candidates(armature: bpy.types.Object, word: str) -> list[str]:
    names = [b.name for b in armature.pose.bones
             if word in b.name.lower() and not _LEAF.search(b.name.lower().split(word, 1)[1])]
    # Control bones before deform/helper copies, then the shortest (plainest) name.
    return sorted(names, key=lambda n: (bool(_HELPER.match(n)), len(n)))


def head_bone(armature: bpy.types.Object, chosen: str = "") -> str | None:
    """The bone that turns the head: the chosen one, else a bone named like head, else neck."""
    if chosen:
        return chosen if chosen in armature.pose.bones else None
    for word in ("head", "neck"):
        found = _candidates(armature, word)
        if found:
            return found[0]
    return None


def _side(name: str) -> str | None:
    low = name.lower()
    if "left" in low or re.search(r"([._\-: ]l$|^l[._\-])", low):
        return "Left"
    if "right" in low or re.search(r"([._\-: ]r$|^r[._\-])", low):
        return "Right"
    return None


def eye_bones(armature: bpy.types.Object) -> dict[str, str]:
    """{"Left": bone, "Right": bone} of the eyeballs, by name (eye.L, LeftEye, DEF-eye_R, ...)."""
    found: dict[str, str] = {}
    for name in _candidates(armature, "eye"):
        side = _side(name)
        if side and side not in found and not _NOT_EYEBALL.search(name):
            found[side] = name
    return found


def world_rotations(degrees: np.ndarray) -> np.ndarray:
    """(T, 3, 3) world rotations of yaw (about Z, + to the character's left), pitch (about X, +
    chin down), roll (about Y, + top towards the left shoulder): R = Rz(yaw) Rx(pitch) Ry(roll)."""
    from scipy.spatial.transform import Rotation

    yaw, pitch, roll = np.radians(np.asarray(degrees, np.float64)).T
    return Rotation.from_euler("ZXY", np.stack([yaw, pitch, roll], axis=1)).as_matrix()


def _orientation(obj: bpy.types.Object, bone: bpy.types.PoseBone | None = None) -> np.ndarray:
    """The rest orientation in the world of an object, or of one of its bones (scale removed)."""
    m = np.array(obj.matrix_world.to_3x3())
    if bone is not None:
        m = m @ np.array(bone.bone.matrix_local.to_3x3())
    u, _, vt = np.linalg.svd(m)
    return u @ vt


def _channels(anim: Animation, names: tuple[str, ...]) -> np.ndarray | None:
    if not all(n in anim.rotation_names for n in names):
        return None
    return anim.rotations[:, [anim.rotation_names.index(n) for n in names]].astype(np.float64)


def _local(frame: np.ndarray, world: np.ndarray) -> np.ndarray:
    """World rotations (T, 3, 3) as pose rotations of something whose rest orientation is frame."""
    return np.einsum("ji,tjk,kl->til", frame, world, frame)


def _bone_targets(settings, armature: bpy.types.Object, anim: Animation) -> list[tuple[str, str, np.ndarray]]:
    """[(data path prefix, rotation mode, (T, 3, 3) pose rotations)] of the head bone and, when
    asked, the eye bones."""
    wanted = [(head_bone(armature, settings.head_bone), HEAD)]
    if settings.eye_bones:
        wanted += [(bone, EYES[side]) for side, bone in eye_bones(armature).items()]
    targets = []
    for name, channels in wanted:
        degrees = _channels(anim, channels)
        if name is None or degrees is None:
            continue
        bone = armature.pose.bones[name]
        targets.append((keyframes.bone_path(name), bone.rotation_mode,
                        _local(_orientation(armature, bone), world_rotations(degrees))))
    return targets


def _targets(settings, mesh: bpy.types.Object, anim: Animation) -> tuple[bpy.types.Object | None, list]:
    """(owner object, its targets) as the settings say, or (None, [])."""
    armature = head_rig.armature_of(mesh)
    if settings.head_rotation == "BONE" and armature is not None:
        return armature, _bone_targets(settings, armature, anim)
    head = _channels(anim, HEAD)
    if settings.head_rotation == "OBJECT" and head is not None:
        # Absolute: the object's rotation as it is now (in its parent's frame), turned by the head.
        basis = np.array(mesh.matrix_basis.to_3x3())
        rest = basis / np.linalg.norm(basis, axis=0)
        return mesh, [("", mesh.rotation_mode, np.einsum("tij,jk->tik", world_rotations(head), rest))]
    return None, []


def clip_plan(settings, mesh: bpy.types.Object, clip_name: str, anim: Animation
              ) -> keyframes.ActionPlan | None:
    """The clip's head (and eye) rotation action, still to be written, on the owner the settings
    say; None when nothing is to be keyed."""
    owner, targets = _targets(settings, mesh, anim)
    if owner is None or not targets:
        return None
    curves = [c for prefix, mode, rot in targets for c in keyframes.rotation_curves(prefix, mode, rot)]
    return keyframes.ActionPlan(f"TF {clip_name} head", owner, "OBJECT", curves)


def place(mesh: bpy.types.Object, clip_id: str, clip_name: str, plan: keyframes.ActionPlan | None,
          action: bpy.types.Action | None, frame_start: int, frame_end: int) -> None:
    """Put the clip's head action (written from `plan`) on its owner's NLA in place of the
    previous one; without a plan, remove the clip's head animation wherever it was."""
    tag = clip_tag(clip_id)
    for obj in {mesh, head_rig.armature_of(mesh)} - {None}:
        if plan is None or obj is not plan.owner:
            placement.remove_clip_animation(obj, tag)
    if plan is None or action is None:
        return
    strip = placement.place_clip_action(plan.owner, action, tag, f"TalkFace: {clip_name} head",
                                        frame_start, frame_end)
    if plan.owner is not mesh:      # bones: add to the rig's own animation (an object is absolute)
        strip.blend_type = "COMBINE"


def describe(settings, mesh: bpy.types.Object | None) -> str:
    """One line for the panel: where head rotation goes for this target."""
    if mesh is None:
        return "No target"
    if settings.head_rotation == "OFF":
        return "Head rotation: off (kept in JSON/CSV exports)"
    if settings.head_rotation == "OBJECT":
        return f'Head rotation: the object "{mesh.name}"'
    armature = head_rig.armature_of(mesh)
    if armature is None:
        return "No armature: head rotation is not keyed"
    bone = head_bone(armature, settings.head_bone)
    return f'Head rotation: bone "{bone}"' if bone else "No head/neck bone: choose one"
