"""Build a FLAME head in Blender from the user's own FLAME model file.

The result has the same structure as the FLAME Blender add-on's heads, so everything that drives
those drives this one: mesh = FLAME's mean shape, shape keys "Exp000".. (one per expression
component at coefficient 1) and the jaw's pose correctives "Pose10".."Pose18", vertex groups from
FLAME's skinning weights, and an armature with bones root, neck, jaw, left_eye, right_eye at the
regressed joints. The mesh keeps FLAME's own coordinates (Y up); the armature object turns it
upright for Blender (Z up).
"""
from __future__ import annotations

import math
from pathlib import Path

import bpy
import numpy as np

from talkface_core.flame.model import FlameModel

from .flame_rig import CORRECTIVE_SLICE, CORRECTIVES, JAW_BONE, MODEL_PROP

BONES = ("root", "neck", JAW_BONE, "left_eye", "right_eye")
_BONE_LENGTH = 0.01


def _add_key(mesh: bpy.types.Object, name: str, coords: np.ndarray) -> None:
    block = mesh.shape_key_add(name=name, from_mix=False)
    block.data.foreach_set("co", coords.astype(np.float32).ravel())


def _armature(context, name: str, model: FlameModel) -> bpy.types.Object:
    data = bpy.data.armatures.new(name)
    arm = bpy.data.objects.new(name, data)
    context.collection.objects.link(arm)
    arm.rotation_euler = (math.pi / 2, 0.0, 0.0)  # FLAME's Y-up to Blender's Z-up
    joints = model.joints()
    previous = context.view_layer.objects.active
    context.view_layer.objects.active = arm
    bpy.ops.object.mode_set(mode="EDIT")
    try:
        bones = []
        for i, bone_name in enumerate(BONES):
            bone = data.edit_bones.new(bone_name)
            bone.head = joints[i]
            bone.tail = joints[i] + np.array([0.0, 0.0, _BONE_LENGTH])  # FLAME add-on convention
            bones.append(bone)
        for child, parent in enumerate(model.kintree_table[0]):
            if child:
                bones[child].parent = bones[int(parent)]
    finally:
        bpy.ops.object.mode_set(mode="OBJECT")
        context.view_layer.objects.active = previous
    return arm


def create(context, model: FlameModel) -> bpy.types.Object:
    """Add the head to the scene; returns its mesh object (the armature is its parent)."""
    name = f"FLAME-{Path(model.path).stem}"
    data = bpy.data.meshes.new(name)
    data.from_pydata(model.v_template.tolist(), [], model.faces.tolist())
    data.update()
    mesh = bpy.data.objects.new(name, data)
    context.collection.objects.link(mesh)
    setattr(mesh, MODEL_PROP, str(model.path))  # the registered property the FLAME panel shows

    arm = _armature(context, f"{name}-rig", model)
    mesh.parent = arm
    for i, bone_name in enumerate(BONES):
        group = mesh.vertex_groups.new(name=bone_name)
        weights = model.weights[:, i]
        for value in np.unique(weights[weights > 0]):  # one add() per distinct weight
            group.add(np.flatnonzero(weights == value).tolist(), float(value), "REPLACE")
    modifier = mesh.modifiers.new("Armature", "ARMATURE")
    modifier.object = arm

    mesh.shape_key_add(name="Basis", from_mix=False)
    for i in range(model.num_expressions):
        _add_key(mesh, f"Exp{i:03d}", model.v_template + model.exprdirs[:, :, i])
    correctives = model.posedirs[:, :, CORRECTIVE_SLICE]
    for i, key_name in enumerate(CORRECTIVES):
        _add_key(mesh, key_name, model.v_template + correctives[:, :, i])
    for block in mesh.data.shape_keys.key_blocks[1:]:
        block.slider_min, block.slider_max = -10.0, 10.0  # coefficients, not 0..1 weights
        block.value = 0.0  # at rest: on 5.0 a new shape key starts at 1.0
    return mesh
