"""A fresh Blender (no talkface): import an FBX and report its shape-key animation."""
from __future__ import annotations

import bpy
from harness import ARGS, RESULTS, bone_turn_degrees, finish, step


@step("import")
def _import():
    bpy.ops.wm.read_factory_settings(use_empty=True)
    bpy.ops.import_scene.fbx(filepath=ARGS["fbx"], anim_offset=0)
    meshes = [o for o in bpy.data.objects if o.type == "MESH" and o.data.shape_keys]
    mesh = meshes[0]
    key = mesh.data.shape_keys
    names = ARGS["names"]
    armature = next((o for o in bpy.data.objects if o.type == "ARMATURE"), None)
    values, head_turn = {}, {}
    for frame in ARGS["frames"]:
        bpy.context.scene.frame_set(frame)
        values[str(frame)] = {n: key.key_blocks[n].value for n in names}
        if armature is not None and "head" in armature.pose.bones:
            head_turn[str(frame)] = bone_turn_degrees(armature, "head")
    action = key.animation_data.action if key.animation_data else None
    return {"shape_keys": len(key.key_blocks), "values": values, "head_turn": head_turn,
            "armatures": [o.name for o in bpy.data.objects if o.type == "ARMATURE"],
            "mesh_parent": mesh.parent.name if mesh.parent else None,
            "action": action.name if action else None}


finish()
