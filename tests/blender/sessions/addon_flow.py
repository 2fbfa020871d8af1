"""A user's session: install the zip, demo head, clips, generate, regenerate, undo, cancel, odd rigs,
FBX export. Arguments (JSON): zip, speech (wav), bilabial/vowel (seconds), long_speech, fbx, out."""
from __future__ import annotations

import importlib.abc
import sys
import time

import bpy
import numpy as np
from harness import (ARGS, RESULTS, addon_module, blender_has_audio, bone_turn_degrees, finish, install,
                     step)


class NoTorch(importlib.abc.MetaPathFinder):
    """An animator's Blender has no PyTorch: the extension must generate without it."""

    def find_spec(self, name, path, target=None):
        if name.split(".")[0] == "torch":
            raise ImportError("No module named 'torch'")


sys.meta_path.insert(0, NoTorch())
install(ARGS["zip"])
# talkface_core comes from the wheel the extension installed (or the developer's environment).
from talkface_core.animation import Animation  # noqa: E402
from talkface_core.blendshapes import ARKIT_NAMES  # noqa: E402
from talkface_core.animation.channels import ROTATION_NAMES  # noqa: E402
from talkface_core.request import GenerationRequest  # noqa: E402

RESULTS["core_from"] = __import__("talkface_core").__file__
RESULTS["blender"] = bpy.app.version_string
RESULTS["has_audio"] = blender_has_audio(ARGS["speech"])
scene = bpy.context.scene
scene.render.fps, scene.render.fps_base = 24, 1.0
compat = addon_module("compat")
state: dict = {}


def tf_actions(clip_id: str | None = None) -> list[bpy.types.Action]:
    return [a for a in bpy.data.actions
            if "talkface_clip" in a and (clip_id is None or a["talkface_clip"] == clip_id)]


def action_stats(action: bpy.types.Action) -> dict:
    curves = {}
    for fc in compat.action_fcurves(action):
        co = np.empty(len(fc.keyframe_points) * 2, dtype=np.float32)
        fc.keyframe_points.foreach_get("co", co)
        co = co.reshape(-1, 2)
        curves[fc.data_path] = {"n": len(co), "first": float(co[0, 0]), "last": float(co[-1, 0]),
                                "min": float(co[:, 1].min()), "max": float(co[:, 1].max()),
                                "frames_consecutive": bool((np.diff(co[:, 0]) == 1).all())}
    return {"name": action.name, "curves": curves}


def scene_state(mesh: bpy.types.Object) -> dict:
    key = mesh.data.shape_keys
    ad = key.animation_data
    strips = compat.sequencer_strips(scene)
    return {
        "tracks": [{"name": t.name, "strips": [{"action": s.action.name if s.action else None,
                                                 "start": s.frame_start, "end": s.frame_end}
                                                for s in t.strips]} for t in ad.nla_tracks] if ad else [],
        "active_action": ad.action.name if ad and ad.action else None,
        "sounds": [{"name": s.name, "start": s.frame_start, "clip": s.get("talkface_clip")}
                   for s in strips if s.type == "SOUND"],
        "range": [scene.frame_start, scene.frame_end],
        "actions": sorted(a.name for a in bpy.data.actions),
    }


def add_clip(name: str, path: str, start: int, **props):
    bpy.ops.talkface.clip_add(filepath=path)
    clip = scene.talkface.clips[scene.talkface.clip_index]
    clip.name, clip.frame_start = name, start
    for k, v in props.items():
        setattr(clip, k, v)
    return clip


def lip_gap_per_frame(mesh: bpy.types.Object, first: int, last: int) -> list[float]:
    """How far the mouth is open at its centre (upper lip edge height minus lower lip edge
    height; negative when the lower lip is tucked behind the upper one), as the NLA plays it."""
    upper, lower = mesh["talkface_lip_pair"]
    key = mesh.data.shape_keys
    blocks = list(key.key_blocks)
    pos = np.array([[b.data[upper].co[:], b.data[lower].co[:]] for b in blocks])  # (K, 2, 3)
    delta = pos[1:] - pos[0]
    gaps = []
    for frame in range(first, last + 1):
        scene.frame_set(frame)
        values = np.array([b.value for b in blocks[1:]])
        p = pos[0] + np.tensordot(values, delta, axes=1)
        gaps.append(float(p[0, 2] - p[1, 2]))
    return gaps


@step("demo_head")
def _demo_head():
    bpy.ops.talkface.demo_head()
    mesh = scene.talkface.target
    state["head"] = mesh.name
    blocks = mesh.data.shape_keys.key_blocks

    def positions(block) -> np.ndarray:
        co = np.empty(len(block.data) * 3)
        block.data.foreach_get("co", co)
        return co.reshape(-1, 3)

    basis = positions(blocks[0])
    keys = {}
    for block in blocks[1:]:
        co = positions(block)
        mag = np.linalg.norm(co - basis, axis=1)
        keys[block.name] = {"max": float(mag.max()),
                            "centroid": ((basis * mag[:, None]).sum(0) / max(mag.sum(), 1e-12)).tolist()}
    polygons, loops = mesh.data.polygons, mesh.data.loops
    slot, start = np.empty(len(polygons), np.int32), np.empty(len(polygons), np.int32)
    polygons.foreach_get("material_index", slot)
    polygons.foreach_get("loop_start", start)
    corner = np.empty(len(loops), np.int32)
    loops.foreach_get("vertex_index", corner)
    iris = corner[start[slot == mesh.data.materials.find("TalkFace iris")]]
    return {"names": [b.name for b in blocks], "keys": keys, "vertices": len(mesh.data.vertices),
            "mapped": sum(1 for i in mesh.talkface_map if i.target),
            "height_m": mesh.dimensions.z,
            "landmarks": {"mouth_z": float(basis[list(mesh["talkface_lip_pair"]), 2].mean()),
                          "eye_z": float(basis[iris, 2].mean())}}


@step("synthetic")
def _synthetic():
    """Animation objects written directly (no model): keys, NLA, sound, regenerate, user data."""
    mesh = bpy.data.objects[state["head"]]
    key = mesh.data.shape_keys
    # The user's own animation: an active action and a muted NLA track of their own.
    brow = key.key_blocks["browInnerUp"]
    for frame, value in ((1, 0.3), (40, 0.6)):
        brow.value = value
        brow.keyframe_insert("value", frame=frame)
    user_action = key.animation_data.action
    user_track = key.animation_data.nla_tracks.new()
    user_track.name = "user track"
    t = np.arange(96)[:, None] / 24.0
    weights = 0.5 + 0.5 * np.sin(2 * np.pi * (0.5 + np.arange(52)[None] / 52) * t)
    first = add_clip("first", ARGS["speech"], 20)
    second = add_clip("second", ARGS["speech"], 300)
    apply = addon_module("apply")
    apply.apply_result(scene, mesh, first, Animation(ARKIT_NAMES, 24.0, weights))
    apply.apply_result(scene, mesh, second, Animation(ARKIT_NAMES, 24.0, weights[:48]))
    before = {"first": action_stats(tf_actions(first.uid)[0]), "state": scene_state(mesh)}
    scene.frame_set(20 + 10)
    played = key.key_blocks["jawOpen"].value
    second_action = tf_actions(second.uid)[0].name
    # Regenerate "first" with other weights at 30 fps source (resampled to the scene's 24).
    apply.apply_result(scene, mesh, first, Animation(ARKIT_NAMES, 30.0, weights[:60] * 0.5))
    after = {"first": [action_stats(a) for a in tf_actions(first.uid)], "state": scene_state(mesh),
             "second_action_kept": second_action in bpy.data.actions}
    # Leave the head clean for the model run: drop both synthetic clips' animation.
    placement = addon_module("placement")
    for clip in (first, second):
        placement.remove_clip_animation(key, clip.uid)
    for _ in range(2):
        bpy.ops.talkface.clip_remove()
    return {"before": before, "after": after, "played_jaw": played,
            "expected_jaw": float(weights[10, ARKIT_NAMES.index("jawOpen")]),
            "user_action": user_action.name, "user_action_users": user_action.users,
            "user_keys": len(compat.action_fcurves(user_action)[0].keyframe_points),
            "still_active": key.animation_data.action == user_action,
            "user_track_kept": "user track" in [t.name for t in key.animation_data.nla_tracks]}


def model_missing() -> str | None:
    """Why the real generator cannot run here, or None."""
    try:
        from talkface_core.model.checkpoint import default_checkpoint
    except ImportError as exc:
        return f"the generator cannot be imported here ({exc})"
    if not default_checkpoint().is_file():
        return "no shipped checkpoint (talkface_core/weights) yet"
    return None


@step("generate")
def _generate():
    if model_missing():
        return {"skipped": model_missing()}
    mesh = bpy.data.objects[state["head"]]
    clip = add_clip("speech", ARGS["speech"], 10, emotion="happy", intensity=0.7)
    state["clip_uid"] = clip.uid
    bpy.ops.ed.undo_push(message="before generate")
    t0 = time.perf_counter()
    result = bpy.ops.talkface.generate("EXEC_DEFAULT", True, scope="SELECTED")
    seconds = time.perf_counter() - t0
    mesh = bpy.data.objects[state["head"]]
    actions = tf_actions(clip.uid)
    stats = action_stats(actions[0])
    last = int(max(c["last"] for c in stats["curves"].values()))
    return {"result": sorted(result), "seconds": seconds, "n_actions": len(actions), "stats": stats,
            "state": scene_state(mesh), "gaps": lip_gap_per_frame(mesh, 10, last),
            "fps": 24, "start": 10}


@step("undo_regenerate")
def _undo():
    if model_missing():
        return {"skipped": model_missing()}
    global scene
    bpy.ops.ed.undo()
    scene = bpy.context.scene  # undo reloads the file's data: old references are gone
    uid = state["clip_uid"]
    after_undo = len(tf_actions(uid))
    clip = next(c for c in bpy.context.scene.talkface.clips if c.uid == uid)
    clip.emotion = "sad"
    bpy.ops.talkface.generate("EXEC_DEFAULT", True, scope="SELECTED")
    first = [a.name for a in tf_actions(uid)]
    bpy.ops.talkface.generate("EXEC_DEFAULT", True, scope="SELECTED")
    second = [a.name for a in tf_actions(uid)]
    mesh = bpy.data.objects[state["head"]]
    return {"actions_after_undo": after_undo, "after_regenerate": first, "after_again": second,
            "tracks": [t.name for t in mesh.data.shape_keys.animation_data.nla_tracks]}


@step("cancel")
def _cancel():
    if model_missing():
        return {"skipped": model_missing()}
    job_module = addon_module("job")
    actions_before = len(bpy.data.actions)
    request = GenerationRequest(fps=24.0, device="cpu")
    job = job_module.Job([job_module.ClipRequest("x", "long", ARGS["long_speech"], request)]).start()
    deadline = time.perf_counter() + 60
    while job.progress[0] <= 0 and time.perf_counter() < deadline and not job.done:
        time.sleep(0.02)
    progress_at_cancel = job.progress[0]
    t0 = time.perf_counter()
    job.cancel()
    job.join(30)
    return {"cancelled": job.cancelled, "results": len(job.results), "job_error": job.error,
            "latency": time.perf_counter() - t0, "progress_at_cancel": progress_at_cancel,
            "actions_unchanged": len(bpy.data.actions) == actions_before}


@step("renamed_rig")
def _renamed():
    bpy.ops.talkface.demo_head()
    mesh = scene.talkface.target
    blocks = mesh.data.shape_keys.key_blocks
    variants = [lambda n: "".join("_" + c.lower() if c.isupper() else c for c in n),
                lambda n: "A01_" + n, lambda n: n.replace("Left", "_L").replace("Right", "_R"),
                lambda n: n.upper()]
    renamed = {}
    for i, name in enumerate(ARKIT_NAMES):
        renamed[name] = variants[i % len(variants)](name)
        blocks[name].name = renamed[name]
    for gone in ("tongueOut", "cheekPuff"):
        mesh.shape_key_remove(blocks[renamed.pop(gone)])
    bpy.ops.talkface.detect_rig()
    mapping = {i.channel: i.target for i in mesh.talkface_map}
    clip = add_clip("renamed", ARGS["speech"], 1)
    weights = np.full((24, 52), 0.25, dtype=np.float32)
    skipped = addon_module("apply").apply_result(scene, mesh, clip, Animation(ARKIT_NAMES, 24.0, weights)).skipped
    curves = compat.action_fcurves(tf_actions(clip.uid)[0])
    addon_module("placement").remove_clip_animation(mesh.data.shape_keys, clip.uid)
    bpy.ops.talkface.clip_remove()
    scene.talkface.target = bpy.data.objects[state["head"]]
    return {"mapping": mapping, "expected": renamed, "skipped_channels": skipped, "curves": len(curves)}


@step("no_shape_keys")
def _no_keys():
    bpy.ops.mesh.primitive_cube_add()
    cube = bpy.context.object
    scene.talkface.target = cube
    if not len(scene.talkface.clips):
        add_clip("for cube", ARGS["speech"], 1)
    messages = {}
    for op in (bpy.ops.talkface.generate, bpy.ops.talkface.detect_rig):
        try:
            op()
            messages[op.idname_py()] = None
        except RuntimeError as exc:
            messages[op.idname_py()] = str(exc)
    scene.talkface.target = bpy.data.objects[state["head"]]
    return messages


@step("export_fbx")
def _export():
    mesh = bpy.data.objects[state["head"]]
    if not mesh.data.shape_keys.animation_data or not any(
            t.strips for t in mesh.data.shape_keys.animation_data.nla_tracks):
        clip = add_clip("for fbx", ARGS["speech"], 5)
        t = np.arange(72)[:, None] / 24.0
        weights = 0.5 + 0.5 * np.sin(2 * np.pi * (1 + np.arange(52)[None] / 26) * t)
        addon_module("apply").apply_result(scene, mesh, clip, Animation(ARKIT_NAMES, 24.0, weights))
    # A modifier on the head must not drop its shape keys on export (level 0: the test is that
    # the exporter leaves modifiers unapplied; subdividing 26k vertices a frame only costs time).
    mesh.modifiers.new("Subdivision", "SUBSURF").levels = 0
    # A rigged head: the target is the armature; the add-on finds its child mesh.
    rig = bpy.data.objects.new("Rig", bpy.data.armatures.new("Rig"))
    scene.collection.objects.link(rig)
    bpy.context.view_layer.objects.active = rig
    bpy.ops.object.mode_set(mode="EDIT")
    bone = rig.data.edit_bones.new("head")
    bone.head, bone.tail = (0, 0, 0), (0, 0, 0.1)
    bpy.ops.object.mode_set(mode="OBJECT")
    mesh.parent = rig
    mesh.modifiers.new("Armature", "ARMATURE").object = rig
    # The head motion of a clip turns the rig's head bone (and the FBX must keep it).
    turn = add_clip("head turn", ARGS["speech"], scene.frame_start)
    t = np.arange(scene.frame_end - scene.frame_start + 1) / 24.0
    rot = np.zeros((len(t), len(ROTATION_NAMES)), np.float32)
    rot[:, :3] = np.stack([8 * np.sin(2 * np.pi * t / 3), 4 * np.sin(2 * np.pi * t), 3 * np.cos(t)], 1)
    head_bones = addon_module("head_bones")
    plan = head_bones.clip_plan(scene.talkface, mesh, turn.name, Animation(
        ARKIT_NAMES, 24.0, np.zeros((len(t), 52)), rotation_names=ROTATION_NAMES, rotations=rot))
    action = addon_module("keyframes").write_actions([plan], turn.frame_start)[0]
    head_bones.place(mesh, turn.ensure_uid(), turn.name, plan, action, turn.frame_start,
                     turn.frame_start + len(t) - 1)
    scene.talkface.target = rig
    bpy.ops.talkface.export_fbx(filepath=ARGS["fbx"])
    scene.talkface.target = mesh
    names = ["jawOpen", "mouthClose", "eyeBlinkLeft", "mouthSmileRight"]
    frames = list(range(scene.frame_start, scene.frame_end + 1, 3))
    values, head_turn = {}, {}
    for frame in frames:
        scene.frame_set(frame)
        values[frame] = {n: mesh.data.shape_keys.key_blocks[n].value for n in names}
        head_turn[frame] = bone_turn_degrees(rig, "head")
    return {"frames": frames, "values": values, "range": [scene.frame_start, scene.frame_end],
            "head_turn": head_turn}


RESULTS["torch_imported"] = any(m.split(".")[0] == "torch" for m in sys.modules)
finish()
