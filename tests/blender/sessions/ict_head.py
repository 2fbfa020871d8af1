"""The add-on on a production-style head (ICT FaceKit ARKit rig): detect, keyframe, play, export."""
from __future__ import annotations

import bpy
import numpy as np
from harness import ARGS, RESULTS, addon_module, finish, install, step

install(ARGS["zip"])
bpy.ops.wm.open_mainfile(filepath=ARGS["blend"], load_ui=False)
from talkface_core.animation import Animation  # noqa: E402
from talkface_core.blendshapes import ARKIT_NAMES  # noqa: E402

scene = bpy.context.scene
state: dict = {}


def tf_action(mesh: bpy.types.Object) -> bpy.types.Action:
    return mesh.data.shape_keys.animation_data.nla_tracks[-1].strips[0].action


@step("detect")
def _detect():
    mesh = max((o for o in bpy.data.objects if o.type == "MESH" and o.data.shape_keys),
               key=lambda o: len(o.data.shape_keys.key_blocks))
    state["mesh"] = mesh.name
    scene.talkface.target = mesh
    bpy.ops.talkface.detect_rig()
    return {"mapped": sum(1 for i in mesh.talkface_map if i.target), "vertices": len(mesh.data.vertices)}


@step("keyframes")
def _keyframes():
    mesh = bpy.data.objects[state["mesh"]]
    bpy.ops.talkface.clip_add(filepath=ARGS["speech"])
    clip = scene.talkface.clips[0]
    clip.frame_start = 1
    weights = np.zeros((48, 52), dtype=np.float32)
    weights[:24, ARKIT_NAMES.index("jawOpen")] = np.linspace(0, 1, 24)
    weights[24:, ARKIT_NAMES.index("eyeBlinkLeft")] = 1.0
    addon_module("apply").apply_result(scene, mesh, clip, Animation(ARKIT_NAMES, scene.render.fps, weights))
    # How far the mesh moves when jawOpen plays to 1 (evaluated mesh, through the NLA).
    def positions(frame: int) -> np.ndarray:
        scene.frame_set(frame)
        evaluated = mesh.evaluated_get(bpy.context.evaluated_depsgraph_get())
        co = np.empty(len(evaluated.data.vertices) * 3)
        evaluated.data.vertices.foreach_get("co", co)
        world = np.array(mesh.matrix_world)
        return co.reshape(-1, 3) @ world[:3, :3].T + world[:3, 3]
    rest, opened = positions(1), positions(24)
    curves = addon_module("compat").action_fcurves(tf_action(mesh))
    moved = np.linalg.norm(opened - rest, axis=1)
    movers = rest[moved > 0.5 * moved.max()]
    blink = np.linalg.norm(positions(36) - rest, axis=1)
    blinkers = rest[blink > 0.5 * blink.max()]
    return {"curves": len(curves), "max_move": float(moved.max()), "height": float(rest[:, 2].max() - rest[:, 2].min()),
            "movers_z": float(movers[:, 2].mean()), "movers_down": float((opened - rest)[moved > 0.5 * moved.max(), 2].mean()),
            "blink_z": float(blinkers[:, 2].mean()), "blink_x": float(blinkers[:, 0].mean())}


@step("generate")
def _generate():
    try:
        from talkface_core.model.checkpoint import default_checkpoint
    except ImportError as exc:
        return {"skipped": f"the generator cannot be imported here ({exc})"}
    if not default_checkpoint().is_file():
        return {"skipped": "no shipped checkpoint yet"}
    result = bpy.ops.talkface.generate("EXEC_DEFAULT", True, scope="SELECTED")
    mesh = bpy.data.objects[state["mesh"]]
    action = tf_action(mesh)
    values = {}
    for fc in addon_module("compat").action_fcurves(action):
        co = np.empty(len(fc.keyframe_points) * 2)
        fc.keyframe_points.foreach_get("co", co)
        values[fc.data_path.split('"')[1]] = co[1::2].tolist()
    return {"result": sorted(result), "values": values}


@step("export")
def _export():
    bpy.ops.talkface.export_fbx(filepath=ARGS["fbx"])
    return {"size": __import__("os").path.getsize(ARGS["fbx"])}


finish()
