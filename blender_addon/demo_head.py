"""Create demo head: the ICT FaceKit head with its 52 ARKit shape keys, so a new user can try
talkface at once.

The mesh comes from talkface_core's asset (talkface_core/assets/demo_head.py reads it; ICT
FaceKit, MIT) and is built with bulk foreach_set calls: one mesh holds skin, lips, eyes, teeth,
gums and tongue, so every key moves every part it should (jawOpen carries the lower teeth and
the tongue, eyeLook* turns the eyeballs). The head gets its own collection, with a camera and a
soft light framing the face, beside whatever the scene already holds.
"""
from __future__ import annotations

import bpy
import numpy as np
from mathutils import Vector

from talkface_core.assets import demo_head as asset
from talkface_core.blendshapes import ARKIT_NAMES

from . import demo_materials, demo_stage


def _mesh(name: str, head: asset.DemoHead) -> bpy.types.Mesh:
    mesh = bpy.data.meshes.new(name)
    mesh.vertices.add(len(head.vertices))
    mesh.vertices.foreach_set("co", head.vertices.ravel())
    mesh.loops.add(len(head.loops))
    mesh.loops.foreach_set("vertex_index", head.loops.astype(np.int32))
    mesh.polygons.add(len(head.totals))
    starts = np.concatenate([[0], np.cumsum(head.totals)[:-1]]).astype(np.int32)
    mesh.polygons.foreach_set("loop_start", starts)
    mesh.polygons.foreach_set("material_index", head.parts.astype(np.int32))
    mesh.polygons.foreach_set("use_smooth", np.ones(len(head.totals), bool))
    mesh.update(calc_edges=True)
    brows = mesh.attributes.new(demo_materials.BROWS, "FLOAT", "POINT")
    brows.data.foreach_set("value", head.brows.astype(np.float32))
    for part in asset.PARTS:
        mesh.materials.append(demo_materials.material(part))
    return mesh


def _shape_keys(obj: bpy.types.Object, head: asset.DemoHead) -> None:
    obj.shape_key_add(name="Basis", from_mix=False)
    for name in ARKIT_NAMES:
        block = obj.shape_key_add(name=name, from_mix=False)
        block.data.foreach_set("co", (head.vertices + head.delta(name)).ravel())
        block.value = 0.0   # Blender 5.0 starts new keys at 1.0: the head would wear every expression


def create(context, name: str = "TalkFace Head") -> bpy.types.Object:
    """Add the demo head (in a new collection, with camera and light) and return it, selected
    and active. A second head gets unique names (Blender's .001) and a spot beside the first."""
    head = asset.load()
    collection = bpy.data.collections.new(name)
    context.scene.collection.children.link(collection)
    obj = bpy.data.objects.new(collection.name, _mesh(collection.name, head))
    collection.objects.link(obj)
    obj.location = demo_stage.free_spot(context, head.vertices.min(0), head.vertices.max(0))
    _shape_keys(obj, head)
    obj["talkface_lip_pair"] = list(head.lip_pair)  # inner upper/lower lip vertex, mid-mouth
    eyes = head.vertices[head.part_vertices("iris")].mean(0)
    mouth = head.vertices[list(head.lip_pair)].mean(0)
    face_centre = Vector((0.0, eyes[1], (eyes[2] + mouth[2]) / 2 + 0.035))  # room for the scalp
    demo_stage.add_stage(context, obj, collection, face_centre)
    for other in context.view_layer.objects:
        other.select_set(False)
    obj.select_set(True)
    context.view_layer.objects.active = obj
    return obj
