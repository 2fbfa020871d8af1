"""The FLAME part of the TalkFace sidebar: the target's FLAME model file, whether the target is a
FLAME rig, and "Create FLAME head from model file"."""
from __future__ import annotations

import bpy
from bpy.props import StringProperty
from bpy_extras.io_utils import ImportHelper

from talkface_core.flame.model import FlameError, load_flame

from . import flame_head, flame_rig, head_rig
from .panels import SubPanel


class TALKFACE_OT_flame_head(bpy.types.Operator, ImportHelper):
    """Add a FLAME head (mean shape, expression shape keys, jaw rig) built from your own FLAME
    model file (generic_model.pkl, flame2020/2023 .pkl or .npz)"""
    bl_idname = "talkface.flame_head"
    bl_label = "Create FLAME head from model file"
    bl_options = {"REGISTER", "UNDO"}

    filter_glob: StringProperty(default="*.pkl;*.npz", options={"HIDDEN"})

    def execute(self, context):
        try:
            model = load_flame(self.filepath, need_landmarks=False)
        except FlameError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        mesh = flame_head.create(context, model)
        context.scene.talkface.target = mesh
        self.report({"INFO"}, f"Created {mesh.name}: {model.num_vertices} vertices, "
                              f"{model.num_expressions} expression keys, jaw bone")
        if len(model.lmk_faces_idx) == 0:
            self.report({"WARNING"}, "No landmark embedding next to the model: Generate needs it "
                                     "(landmark_embedding.npy or flame_static_embedding.pkl)")
        return {"FINISHED"}


class TALKFACE_PT_flame(SubPanel, bpy.types.Panel):
    bl_label = "FLAME"

    def draw(self, context):
        layout = self.layout
        layout.operator("talkface.flame_head", icon="USER")
        mesh = head_rig.resolve_mesh(context.scene.talkface.target)
        if mesh is None:
            return
        if flame_rig.is_flame_rig(mesh):
            layout.label(text=flame_rig.describe(mesh), icon="CHECKMARK")
            layout.prop(mesh, flame_rig.MODEL_PROP, text="Model file")
            layout.prop(mesh, flame_rig.LANDMARKS_PROP, text="Landmarks")
        else:
            layout.label(text="Target is not a FLAME rig (no Exp000.. keys and jaw)")


_register_classes, _unregister_classes = bpy.utils.register_classes_factory(
    (TALKFACE_OT_flame_head, TALKFACE_PT_flame))


def register() -> None:
    _register_classes()
    # Stored as the ID property flame_rig reads, so heads keep their model file in the .blend.
    setattr(bpy.types.Object, flame_rig.MODEL_PROP, StringProperty(
        name="FLAME model", subtype="FILE_PATH",
        description="Your FLAME model file; the ARKit -> FLAME mapping is computed from it"))
    setattr(bpy.types.Object, flame_rig.LANDMARKS_PROP, StringProperty(
        name="FLAME landmarks", subtype="FILE_PATH",
        description="Optional: the model's landmark embedding (e.g. landmark_embedding.npy), when "
                    "the model file holds none and none lies next to it"))


def unregister() -> None:
    delattr(bpy.types.Object, flame_rig.LANDMARKS_PROP)
    delattr(bpy.types.Object, flame_rig.MODEL_PROP)
    _unregister_classes()
