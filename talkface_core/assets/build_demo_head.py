"""Convert the ICT FaceKit ARKit head (.blend) into the demo head asset, ict_head.npz.

    python -m talkface_core.assets.build_demo_head --blend ../shared/data/heads/ict_arkit.blend

Needs bpy (Blender as a Python module) only to read the .blend. Adds what ICT lacks (materials by
part, eyebrows, eyeballs that turn with eyeLook*, tongueOut), converts centimetres/Y-up to
metres/Z-up and writes the keys sparse and quantised (talkface_core/assets/demo_head.py has the format).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from talkface_core.blendshapes import ARKIT_NAMES

from . import ict_parts, ict_shapes
from .demo_head import ASSET, save
from .ict_parts import Topology


def read_blend(path: Path) -> tuple[np.ndarray, Topology, dict[str, np.ndarray]]:
    """The ICTFace mesh: rest positions, polygons and each shape key's displacement (ICT units)."""
    import bpy

    bpy.ops.wm.open_mainfile(filepath=str(path), load_ui=False)
    mesh = bpy.data.objects["ICTFace"].data
    if (len(mesh.vertices), len(mesh.polygons)) != (ict_parts.N_VERTICES, ict_parts.N_POLYGONS):
        raise ValueError(f"{path}: not the ICT FaceKit topology the part ranges are for")

    def flat(collection, attr: str, dtype, width: int = 1) -> np.ndarray:
        out = np.empty(len(collection) * width, dtype)
        collection.foreach_get(attr, out)
        return out.reshape(-1, width) if width > 1 else out

    blocks = mesh.shape_keys.key_blocks
    rest = flat(blocks[0].data, "co", np.float64, 3)
    keys = {b.name: flat(b.data, "co", np.float64, 3) - rest for b in blocks[1:]}
    topo = Topology(flat(mesh.loops, "vertex_index", np.int64),
                    flat(mesh.polygons, "loop_total", np.int64))
    return rest, topo, keys


def lip_pair(verts: np.ndarray, topo: Topology, jaw_open: np.ndarray) -> tuple[int, int]:
    """The upper and lower lip vertex that touch in the middle of the closed mouth: of the face's
    midline vertices in front of the inner lip seam (which gapes 1 cm inside the lips), the
    closest pair of one the jaw leaves and one it carries."""
    seam = ict_parts.inner_lip_line(topo)
    seam = seam[np.abs(verts[seam, 0]) < 1e-4]
    face = ict_parts.span(ict_parts.VERTICES, "face")
    near = face[(np.abs(verts[face, 0]) < 1e-4) & (verts[face, 2] > verts[seam, 2].max())
                & (np.abs(verts[face, 1] - verts[seam, 1].mean()) < 1.0)]
    moves = np.linalg.norm(jaw_open[near], axis=1)
    carried = moves > 0.5 * moves.max()
    upper, lower = near[~carried], near[carried]
    gaps = np.linalg.norm(verts[upper][:, None] - verts[lower][None], axis=2)
    i, j = np.unravel_index(np.argmin(gaps), gaps.shape)
    return int(upper[i]), int(lower[j])


def to_blender(points: np.ndarray) -> np.ndarray:
    """ICT (cm, Y up, face +Z) -> Blender (m, Z up, face -Y): 90° about X."""
    return np.stack([points[:, 0], -points[:, 2], points[:, 1]], axis=1) * 0.01


def convert(verts: np.ndarray, topo: Topology, keys: dict[str, np.ndarray], out: Path) -> None:
    deltas = {name: keys[name].copy() for name in ARKIT_NAMES}
    eyes = ict_parts.eyes(verts)
    for name in ARKIT_NAMES:
        if name.startswith("eyeLook"):
            look, side = name[7:].replace("Left", " left").replace("Right", " right").split()
            deltas[name] += ict_shapes.gaze(verts, eyes[side], side, look)
    deltas["tongueOut"] = ict_shapes.tongue_out(verts)
    ict_shapes.only_their_parts(deltas)
    parts = ict_parts.polygon_parts(verts, topo)
    save(out, to_blender(verts), topo.loops, topo.totals, parts, ict_parts.brows(verts),
         {name: to_blender(d) for name, d in deltas.items()}, lip_pair(verts, topo, keys["jawOpen"]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--blend", type=Path, required=True, help="ict_arkit.blend")
    parser.add_argument("--out", type=Path, default=ASSET)
    args = parser.parse_args(argv)
    convert(*read_blend(args.blend), args.out)
    print(f"{args.out} ({args.out.stat().st_size / 1e6:.2f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
