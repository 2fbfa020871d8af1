"""FBX export that game engines and DCCs read back with working blendshape curves."""
from __future__ import annotations

import shutil
from pathlib import Path

import bpy

from . import head_rig

# Why these settings:
# - use_mesh_modifiers=False: applying a Subdivision/Triangulate modifier drops every shape key.
# - bake_anim with simplify 0 and forced start/end keys: every frame of every blendshape channel is
#   written, as evaluated (NLA strips of all clips together), so Unity/Unreal/Maya need no NLA.
# - no leaf bones, -Z forward / Y up, FBX_SCALE_UNITS: what Unity, Unreal and Maya expect.
FBX_SETTINGS = dict(
    use_selection=True, object_types={"MESH", "ARMATURE"}, use_mesh_modifiers=False,
    mesh_smooth_type="FACE", add_leaf_bones=False, axis_forward="-Z", axis_up="Y",
    apply_unit_scale=True, apply_scale_options="FBX_SCALE_UNITS", bake_anim=True,
    bake_anim_use_all_bones=True, bake_anim_use_nla_strips=False, bake_anim_use_all_actions=False,
    bake_anim_force_startend_keying=True, bake_anim_step=1.0, bake_anim_simplify_factor=0.0,
    path_mode="AUTO",
)


def export(context, mesh: bpy.types.Object, filepath: str) -> list[Path]:
    """Export mesh (+ its armature) to filepath; copy the clips' audio beside it. Returns copies."""
    Path(filepath).parent.mkdir(parents=True, exist_ok=True)
    objects = [mesh]
    armature = head_rig.armature_of(mesh)
    if armature is not None:
        objects.append(armature)
    view_layer = context.view_layer
    previous = ([o for o in view_layer.objects if o.select_get()], view_layer.objects.active)
    for obj in previous[0]:
        obj.select_set(False)
    for obj in objects:
        obj.select_set(True)
    view_layer.objects.active = mesh
    try:
        bpy.ops.export_scene.fbx(filepath=filepath, **FBX_SETTINGS)
    finally:
        for obj in objects:
            obj.select_set(False)
        for obj in previous[0]:
            obj.select_set(True)
        view_layer.objects.active = previous[1]
    return _copy_audio(context.scene, Path(filepath).parent)


def _copy_audio(scene: bpy.types.Scene, folder: Path) -> list[Path]:
    copied = []
    for clip in scene.talkface.clips:
        source = Path(bpy.path.abspath(clip.filepath))
        if clip.filepath and source.is_file():
            target = folder / source.name
            if target.resolve() != source.resolve():
                shutil.copy2(source, target)
            copied.append(target)
    return copied
