"""The demo head's materials, one per part (talkface_core.assets.demo_head.PARTS): node-based
for Eevee and Cycles, with the same colour as viewport display colour for Workbench.

No textures: flat colours, roughness and a little subsurface on the skin read as a person under
soft light. The cornea and the lacrimal film are clear and glossy (the eye's highlight); the
eye-occlusion layer and the lash-card tips (ICT paints them with alpha textures) are invisible.
"""
from __future__ import annotations

from dataclasses import dataclass

import bpy


@dataclass(frozen=True)
class Look:
    colour: tuple[float, float, float]  # linear RGB
    roughness: float = 0.5
    subsurface: float = 0.0
    alpha: float = 1.0  # below 1: a see-through layer (glossy if roughness is low)


LOOKS: dict[str, Look] = {
    "skin": Look((0.5, 0.3, 0.22), 0.5, subsurface=0.2),
    "lips": Look((0.42, 0.13, 0.12), 0.35, subsurface=0.2),
    "mouth": Look((0.22, 0.04, 0.04), 0.45),
    "gums": Look((0.52, 0.16, 0.15), 0.35, subsurface=0.1),
    "tongue": Look((0.48, 0.14, 0.13), 0.4, subsurface=0.1),
    "teeth": Look((0.78, 0.74, 0.64), 0.25),
    "sclera": Look((0.78, 0.74, 0.70), 0.3),
    "cornea": Look((1.0, 1.0, 1.0), 0.02, alpha=0.0),
    "iris": Look((0.10, 0.16, 0.22), 0.35),
    "pupil": Look((0.005, 0.005, 0.005), 0.2),
    "eyelashes": Look((0.015, 0.01, 0.008), 0.6),
    "lash_tips": Look((0.0, 0.0, 0.0), 1.0, alpha=0.0),
    "lacrimal": Look((1.0, 1.0, 1.0), 0.05, alpha=0.0),
    "eye_occlusion": Look((0.0, 0.0, 0.0), 1.0, alpha=0.0),
}


BROWS = "brows"  # the mesh attribute (0..1) where the skin is eyebrow
BROW_COLOUR = (0.06, 0.04, 0.028)


def material(part: str) -> bpy.types.Material:
    """The part's material, made on first use and shared by every demo head after."""
    name = f"TalkFace {part}"
    mat = bpy.data.materials.get(name)
    if mat is not None:
        return mat
    look = LOOKS[part]
    mat = bpy.data.materials.new(name)
    mat.diffuse_color = (*look.colour, look.alpha)
    mat.roughness = look.roughness
    if not mat.node_tree:  # Blender 5.0 materials always have nodes; older ones need asking
        mat.use_nodes = True
    nodes = mat.node_tree.nodes
    bsdf = nodes["Principled BSDF"]
    bsdf.inputs["Base Color"].default_value = (*look.colour, 1.0)
    bsdf.inputs["Roughness"].default_value = look.roughness
    if look.subsurface:
        bsdf.inputs["Subsurface Weight"].default_value = look.subsurface
        bsdf.inputs["Subsurface Radius"].default_value = (1.0, 0.35, 0.2)
        bsdf.inputs["Subsurface Scale"].default_value = 0.003  # metres: skin scatters millimetres
    if look.alpha < 1.0:
        _see_through(mat, bsdf, look)
    if part == "skin":
        _eyebrows(mat, bsdf, look)
    return mat


def _eyebrows(mat: bpy.types.Material, bsdf, look: Look) -> None:
    """Base colour: skin, shading into brow hair where the BROWS attribute says (Eevee, Cycles;
    Workbench shows the plain skin colour)."""
    nodes, links = mat.node_tree.nodes, mat.node_tree.links
    brows = nodes.new("ShaderNodeAttribute")
    brows.attribute_name = BROWS
    mix = nodes.new("ShaderNodeMix")
    mix.data_type = "RGBA"
    mix.inputs["A"].default_value = (*look.colour, 1.0)
    mix.inputs["B"].default_value = (*BROW_COLOUR, 1.0)
    links.new(brows.outputs["Fac"], mix.inputs["Factor"])
    links.new(mix.outputs["Result"], bsdf.inputs["Base Color"])


def _see_through(mat: bpy.types.Material, bsdf, look: Look) -> None:
    """Clear layer: transparent, plus only the specular highlight of a glossy surface (if any)."""
    if hasattr(mat, "surface_render_method"):  # Eevee Next (4.2+)
        mat.surface_render_method = "BLENDED"
    mat.use_backface_culling = True
    if look.roughness >= 1.0:
        bsdf.inputs["Alpha"].default_value = 0.0
        return
    nodes, links = mat.node_tree.nodes, mat.node_tree.links
    clear = nodes.new("ShaderNodeBsdfTransparent")
    gloss = nodes.new("ShaderNodeBsdfGlossy")
    gloss.inputs["Roughness"].default_value = look.roughness
    gloss.inputs["Color"].default_value = (0.35, 0.35, 0.35, 1.0)  # a cornea reflects a few %
    add = nodes.new("ShaderNodeAddShader")
    links.new(clear.outputs[0], add.inputs[0])
    links.new(gloss.outputs[0], add.inputs[1])
    links.new(add.outputs[0], nodes["Material Output"].inputs["Surface"])
    nodes.remove(bsdf)
