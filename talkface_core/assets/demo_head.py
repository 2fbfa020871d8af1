"""The demo head asset, read and written without Blender (numpy only).

ict_head.npz (the ICT FaceKit head, MIT: LICENSE-ICT-FaceKit.txt beside it) is written by
`python -m talkface_core.assets.build_demo_head`, never by hand. It holds
    vertices      (N, 3) float32  rest positions in metres, Blender axes (Z up, face towards -Y)
    loops         (L,) uint16     polygon corners (vertex indices), polygon after polygon
    totals        (P,) uint8      corners per polygon
    parts         (P,) uint8      each polygon's material: an index into part_names (PARTS)
    part_names    (M,) str
    brows         (N,) uint8      how much the skin is eyebrow there, 0..255
    key_names     (52,) str       the ARKit shape keys, in ARKit order
    key_starts    (53,) int64     key k's entries are key_starts[k]:key_starts[k + 1]
    key_vertices  (E,) uint16     the vertex an entry moves (only those moving > MIN_MOVE)
    key_deltas    (E, 3) int16    its displacement, in units of key_scales[k]
    key_scales    (52,) float32   metres per unit (the key's largest move is 32767 units)
    lip_pair      (2,) int64      upper and lower inner-lip vertex at the middle of the mouth
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ASSET = Path(__file__).with_name("ict_head.npz")
# Material slots, in slot order. cornea and lacrimal are clear layers, eye_occlusion and
# lash_tips (both made for alpha textures the asset does not have) invisible ones.
PARTS: tuple[str, ...] = ("skin", "lips", "mouth", "gums", "tongue", "teeth", "sclera", "cornea",
                          "iris", "pupil", "eyelashes", "lash_tips", "lacrimal", "eye_occlusion")
MIN_MOVE = 2e-5  # metres; smaller moves are dropped from a key (20 µm: invisible)


@dataclass
class DemoHead:
    vertices: np.ndarray
    loops: np.ndarray
    totals: np.ndarray
    parts: np.ndarray
    brows: np.ndarray  # (N,) 0..1
    keys: dict[str, tuple[np.ndarray, np.ndarray]]  # name -> (vertex indices, (n, 3) metres)
    lip_pair: tuple[int, int]

    def delta(self, name: str) -> np.ndarray:
        """The key's displacement of every vertex, (N, 3) metres."""
        out = np.zeros_like(self.vertices)
        index, moves = self.keys[name]
        out[index] = moves
        return out

    def pose(self, weights: Mapping[str, float]) -> np.ndarray:
        """Vertex positions with the shape keys at these weights (as Blender mixes them)."""
        out = self.vertices.copy()
        for name, weight in weights.items():
            index, moves = self.keys[name]
            out[index] += weight * moves
        return out

    def part_vertices(self, part: str) -> np.ndarray:
        """Vertices used by the polygons of a material part."""
        polygon = np.repeat(np.arange(len(self.totals)), self.totals)
        return np.unique(self.loops[self.parts[polygon] == PARTS.index(part)])


def load(path: Path = ASSET) -> DemoHead:
    with np.load(path) as z:
        if tuple(z["part_names"]) != PARTS:
            raise ValueError(f"{path} has parts {tuple(z['part_names'])}, expected {PARTS}")
        starts, scales = z["key_starts"], z["key_scales"]
        index, deltas = z["key_vertices"].astype(np.int64), z["key_deltas"]
        keys = {str(name): (index[starts[k]:starts[k + 1]],
                            deltas[starts[k]:starts[k + 1]].astype(np.float32) * scales[k])
                for k, name in enumerate(z["key_names"])}
        return DemoHead(z["vertices"], z["loops"].astype(np.int64), z["totals"].astype(np.int64),
                        z["parts"], z["brows"] / np.float32(255), keys,
                        (int(z["lip_pair"][0]), int(z["lip_pair"][1])))


def save(path: Path, vertices: np.ndarray, loops: np.ndarray, totals: np.ndarray, parts: np.ndarray,
         brows: np.ndarray, deltas: Mapping[str, np.ndarray], lip_pair: tuple[int, int]) -> None:
    """Write the asset: deltas (name -> (N, 3) metres) become sparse int16 entries."""
    if len(vertices) > 65536:
        raise ValueError("loops are stored as uint16: at most 65536 vertices")
    starts, index, quantised, scales = [0], [], [], []
    for moves in deltas.values():
        moving = np.nonzero(np.linalg.norm(moves, axis=1) > MIN_MOVE)[0]
        scale = max(float(np.abs(moves[moving]).max(initial=0.0)), 1e-12) / 32767
        index.append(moving)
        quantised.append(np.round(moves[moving] / scale).astype(np.int16))
        scales.append(scale)
        starts.append(starts[-1] + len(moving))
    np.savez_compressed(
        path, vertices=vertices.astype(np.float32), loops=loops.astype(np.uint16),
        totals=totals.astype(np.uint8), parts=parts.astype(np.uint8), part_names=np.array(PARTS),
        brows=np.round(np.clip(brows, 0, 1) * 255).astype(np.uint8),
        key_names=np.array(list(deltas)), key_starts=np.array(starts, np.int64),
        key_vertices=np.concatenate(index).astype(np.uint16),
        key_deltas=np.concatenate(quantised).reshape(-1, 3), key_scales=np.array(scales, np.float32),
        lip_pair=np.array(lip_pair, np.int64))
