"""The head being animated: which mesh carries the shape keys, whether it can be animated, and its
channel -> shape key mapping (stored on the object, editable in the panel)."""
from __future__ import annotations

from collections.abc import Sequence

import bpy

from . import shape_key_match


def resolve_mesh(obj: bpy.types.Object | None) -> bpy.types.Object | None:
    """The mesh whose shape keys get animated: the object itself, or an armature's child mesh
    (the one with the most shape keys)."""
    if obj is None:
        return None
    if obj.type == "MESH":
        return obj
    meshes = [c for c in obj.children_recursive if c.type == "MESH"]
    meshes.sort(key=lambda m: len(m.data.shape_keys.key_blocks) if m.data.shape_keys else 0)
    return meshes[-1] if meshes else None


def armature_of(mesh: bpy.types.Object) -> bpy.types.Object | None:
    parent = mesh.parent
    while parent is not None and parent.type != "ARMATURE":
        parent = parent.parent
    return parent


def shape_key_names(mesh: bpy.types.Object) -> list[str]:
    """Animatable shape keys (the reference key "Basis" excluded)."""
    key = mesh.data.shape_keys
    if key is None:
        return []
    return [kb.name for kb in key.key_blocks if kb != key.reference_key]


def detect(obj: bpy.types.Object, mesh: bpy.types.Object, channels: Sequence[str]) -> tuple[int, list[str]]:
    """Fill obj.talkface_map from the shape-key names; returns (mapped count, unmapped channels)."""
    mapping = shape_key_match.match(channels, shape_key_names(mesh))
    obj.talkface_map.clear()
    for channel, targets in mapping.items():
        for target in targets or [""]:
            item = obj.talkface_map.add()
            item.channel = channel
            item.target = target
    return shape_key_match.summary(mapping)


def mapping_of(obj: bpy.types.Object, channels: Sequence[str]) -> dict[str, list[str]]:
    """The stored (possibly user-edited) mapping; channels the list lacks map to nothing."""
    mapping: dict[str, list[str]] = {c: [] for c in channels}
    for item in obj.talkface_map:
        if item.channel in mapping and item.target:
            mapping[item.channel].append(item.target)
    return mapping


def check_target(target: bpy.types.Object | None) -> bpy.types.Object:
    """The mesh to animate, or ValueError saying what is wrong with the target."""
    mesh = resolve_mesh(target)
    if mesh is None and target is not None and target.type == "ARMATURE":
        raise ValueError(f'Armature "{target.name}" has no mesh child: parent the head mesh to '
                         "it, or pick the head mesh itself as the target")
    if mesh is None:
        raise ValueError("Pick a target head mesh (or press Create demo head)")
    if not shape_key_names(mesh):
        raise ValueError(f'"{mesh.name}" has no shape keys: talkface animates shape keys '
                         "(ARKit-52 names or similar). Add them, or press Create demo head")
    return mesh


def check_channels(mesh: bpy.types.Object, channels: Sequence[str]) -> None:
    """ValueError unless at least one channel drives a shape key the mesh has (by its stored
    mapping, or by name when Detect rig has not run): a rig that matches nothing would get an
    empty action, track and sound."""
    if len(mesh.talkface_map):
        mapping = mapping_of(mesh, channels)
    else:
        mapping = shape_key_match.match(channels, shape_key_names(mesh))
    blocks = mesh.data.shape_keys.key_blocks
    if not any(t in blocks for targets in mapping.values() for t in targets):
        raise ValueError(f'No shape key of "{mesh.name}" matches a channel ({", ".join(channels[:3])}'
                         ", ...): rename its shape keys to ARKit names and press Detect rig, or "
                         "pick a shape key for each channel under Rig mapping")
