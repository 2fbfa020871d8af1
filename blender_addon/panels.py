"""The TalkFace tab of the 3D View sidebar."""
from __future__ import annotations

import bpy

from . import emotion_keys, flame_rig, head_bones, head_rig


class TALKFACE_UL_clips(bpy.types.UIList):
    def draw_item(self, _context, layout, _data, clip, _icon, _active, _prop):
        row = layout.row(align=True)
        row.prop(clip, "name", text="", emboss=False, icon="SPEAKER")
        # With keys the row says where the face changes: "neutral 1 > happy 37 > sad 80".
        shown = emotion_keys.summary(clip) if clip.use_emotion_keys and len(clip.emotion_keys) else clip.emotion
        row.label(text=f"{clip.frame_start}  {shown}")


class TALKFACE_UL_emotion_keys(bpy.types.UIList):
    def draw_item(self, _context, layout, _clip, key, _icon, _active, _prop):
        row = layout.row(align=True)
        row.prop(key, "scene_frame", text="", emboss=False, icon="KEYFRAME")
        if key.blend_with == emotion_keys.NO_BLEND:
            row.prop(key, "emotion", text="")
        else:
            row.label(text=emotion_keys.key_label(key))
        row.prop(key, "intensity", text="")


def _draw_emotion_keys(layout, clip) -> None:
    """The clip's emotion keys: the list (frame, emotion or blend, intensity), its buttons, and
    the active key's blend."""
    layout.prop(clip, "use_emotion_keys")
    if not clip.use_emotion_keys:
        return
    row = layout.row()
    row.template_list("TALKFACE_UL_emotion_keys", "", clip, "emotion_keys", clip, "emotion_key_index", rows=3)
    col = row.column(align=True)
    col.operator("talkface.emotion_key_add", icon="ADD", text="")
    col.operator("talkface.emotion_key_remove", icon="REMOVE", text="")
    row = layout.row(align=True)
    row.operator("talkface.emotion_key_add", icon="KEYFRAME_HLT")
    row.operator("talkface.emotion_read", icon="OUTLINER_OB_SPEAKER")
    if 0 <= clip.emotion_key_index < len(clip.emotion_keys):
        key = clip.emotion_keys[clip.emotion_key_index]
        col = layout.column(align=True)
        col.prop(key, "emotion")
        col.prop(key, "blend_with")
        if key.blend_with != emotion_keys.NO_BLEND:
            col.prop(key, "blend")
        col.prop(key, "intensity")
    layout.prop(clip, "emotion_transition")


class TALKFACE_UL_mapping(bpy.types.UIList):
    def draw_item(self, context, layout, _data, item, _icon, _active, _prop):
        mesh = head_rig.resolve_mesh(context.scene.talkface.target)
        row = layout.row(align=True)
        row.label(text=item.channel, icon="CHECKMARK" if item.target else "ERROR")
        if mesh is not None and mesh.data.shape_keys:
            row.prop_search(item, "target", mesh.data.shape_keys, "key_blocks", text="")
        else:
            row.prop(item, "target", text="")


class TALKFACE_PT_main(bpy.types.Panel):
    bl_label = "TalkFace"
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = "TalkFace"

    def draw(self, context):
        layout = self.layout
        settings = context.scene.talkface
        layout.operator("talkface.demo_head", icon="USER")
        layout.prop(settings, "target")
        mesh = head_rig.resolve_mesh(settings.target)
        if settings.target is not None and (mesh is None or not head_rig.shape_key_names(mesh)):
            layout.label(text="Target has no shape keys", icon="ERROR")
        layout.operator("talkface.detect_rig", icon="VIEWZOOM")

        layout.label(text="Clips")
        row = layout.row()
        row.template_list("TALKFACE_UL_clips", "", settings, "clips", settings, "clip_index", rows=3)
        col = row.column(align=True)
        col.operator("talkface.clip_add", icon="ADD", text="")
        col.operator("talkface.clip_remove", icon="REMOVE", text="")
        col.operator("talkface.clip_move", icon="TRIA_UP", text="").direction = "UP"
        col.operator("talkface.clip_move", icon="TRIA_DOWN", text="").direction = "DOWN"
        if 0 <= settings.clip_index < len(settings.clips):
            clip = settings.clips[settings.clip_index]
            box = layout.box()
            for prop in ("filepath", "frame_start", "emotion", "intensity", "style", "smoothing", "blink"):
                box.prop(clip, prop)
            _face_rows(box, clip)
            _draw_emotion_keys(box.box(), clip)

        progress = context.window_manager.talkface_progress
        if progress.running:
            layout.progress(factor=progress.factor, type="BAR",
                            text=f"{progress.text} {progress.factor:.0%} (Esc cancels)")
        else:
            row = layout.row(align=True)
            row.scale_y = 1.4
            row.operator("talkface.generate", icon="PLAY", text="Generate lipsync").scope = "SELECTED"
            row.operator("talkface.generate", text="All").scope = "ALL"
        layout.operator("talkface.export_fbx", icon="EXPORT")


def _face_rows(box, clip) -> None:
    """The clip's face beyond the lips: eyes, head, upper face, and their seed."""
    col = box.column(align=True)
    row = col.row(align=True)
    row.active = clip.blink
    row.prop(clip, "blink_rate")
    row.prop(clip, "blink_amount", text="Amount")
    col.prop(clip, "gaze")
    col.prop(clip, "head_motion")
    col.prop(clip, "upper_face")
    col.prop(clip, "seed")


class SubPanel:
    """Where the TalkFace tab's folded sub-panels sit (mixed into each bpy.types.Panel)."""
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = "TalkFace"
    bl_parent_id = "TALKFACE_PT_main"
    bl_options = {"DEFAULT_CLOSED"}


class TALKFACE_PT_head(SubPanel, bpy.types.Panel):
    bl_label = "Head and eyes"

    def draw(self, context):
        settings = context.scene.talkface
        layout = self.layout
        layout.prop(settings, "head_rotation")
        mesh = head_rig.resolve_mesh(settings.target)
        armature = head_rig.armature_of(mesh) if mesh is not None else None
        layout.label(text=head_bones.describe(settings, mesh), icon="INFO")
        if armature is not None:
            row = layout.row()
            row.active = settings.head_rotation == "BONE"
            row.prop_search(settings, "head_bone", armature.data, "bones")
            layout.prop(settings, "eye_bones")


class TALKFACE_PT_mapping(SubPanel, bpy.types.Panel):
    bl_label = "Rig mapping"

    def draw(self, context):
        mesh = head_rig.resolve_mesh(context.scene.talkface.target)
        if mesh is None:
            self.layout.label(text="No target")
            return
        if flame_rig.is_flame_rig(mesh):
            self.layout.label(text=flame_rig.describe(mesh), icon="CHECKMARK")
            return
        items = mesh.talkface_map
        mapped = len({i.channel for i in items if i.target})
        total = len({i.channel for i in items})
        self.layout.label(text=f"{mapped} mapped, {total - mapped} unmapped")
        self.layout.template_list("TALKFACE_UL_mapping", "", mesh, "talkface_map",
                                  context.scene.talkface, "map_index", rows=6)


register, unregister = bpy.utils.register_classes_factory((
    TALKFACE_UL_clips, TALKFACE_UL_emotion_keys, TALKFACE_UL_mapping, TALKFACE_PT_main,
    TALKFACE_PT_head, TALKFACE_PT_mapping))
