"""The parts of the ICT FaceKit head: its own vertex/polygon ranges, split further by geometry.

ICT FaceKit is one mesh whose parts lie in fixed index ranges (its README). Some parts need
splitting for materials and shapes, here by geometry alone (the asset has no textures or UVs):
the lips out of the face (edge rings around the mouth), cornea, iris and pupil out of the
eyeballs (distance from the eye's axis), the tips of the lash cards from their roots; and where
the skin is eyebrow. Coordinates are ICT's own: centimetres, Y up, the face towards +Z.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from .demo_head import PARTS

# Inclusive index ranges of the ICT FaceKit parts (left, right where there are two).
VERTICES = {"face": (0, 9408), "head": (9409, 11247), "mouth": (11248, 13293),
            "eye_socket": (13294, 14061), "gums_tongue": (14062, 17038), "teeth": (17039, 21450),
            # ICT's tongue is the last block of "gums and tongue": the index where the fewest
            # edges cross (24, one loop round the tongue's root and sides) starts it.
            "tongue": (16611, 17038),
            "eyeball_left": (21451, 23020), "eyeball_right": (23021, 24590),
            "sclera_left": (21451, 22220), "sclera_right": (23021, 23790),
            "lacrimal": (24591, 24998), "eye_blend": (24999, 25046), "eye_occlusion": (25047, 25350),
            "eyelashes": (25351, 26718)}
POLYGONS = {"face": (0, 9229), "head": (9230, 11143), "mouth": (11144, 13225),
            "eye_socket": (13226, 14033), "gums_tongue": (14034, 17005), "teeth": (17006, 21495),
            "eyeball": (21496, 24691), "lacrimal": (24692, 25017), "eye_blend": (25018, 25047),
            "eye_occlusion": (25048, 25303), "eyelashes": (25304, 26383)}
N_VERTICES, N_POLYGONS = 26719, 26384

LIP_RINGS = 13          # edge rings from the inner lip line to the vermilion border (looked at)
IRIS_RADIUS, PUPIL_RADIUS = 0.6, 0.2  # cm from the eye's axis (ICT's iris disc is 0.58)
# ICT's lash cards want an alpha texture; untextured, only the roots of the upper ones read as
# lashes (cm from the lid; the upper cards reach 0.9), the lower ones as a grey band (hidden).
LASH_ROOTS = {"upper": 0.3, "lower": 0.0}
# Eyebrows, a shade painted on the skin (ICT has them only in its textures): a band above each
# eye, given by (|x|, centre height, half thickness) at its inner end, peak and tail (cm).
BROW = ((1.2, 5.35, 0.5), (4.0, 5.75, 0.4), (5.7, 5.2, 0.15))


def span(ranges: dict[str, tuple[int, int]], name: str) -> np.ndarray:
    first, last = ranges[name]
    return np.arange(first, last + 1)


def _within(index: np.ndarray, bounds: tuple[int, int]) -> np.ndarray:
    return (index >= bounds[0]) & (index <= bounds[1])


@dataclass(frozen=True)
class Topology:
    """Polygons as flat loops: polygon p uses loops[starts[p]:starts[p] + totals[p]]."""
    loops: np.ndarray
    totals: np.ndarray

    @property
    def starts(self) -> np.ndarray:
        return np.concatenate([[0], np.cumsum(self.totals)[:-1]])

    @property
    def polygon_of_loop(self) -> np.ndarray:
        return np.repeat(np.arange(len(self.totals)), self.totals)

    def edges(self, polygons: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each polygon's edges (a -> b around it) for the polygons given."""
        nxt = np.arange(len(self.loops)) + 1
        nxt[self.starts + self.totals - 1] = self.starts  # last loop of each polygon wraps
        use = np.isin(self.polygon_of_loop, polygons)
        return self.loops[use], self.loops[nxt][use]

    def vertices_of(self, polygons: np.ndarray) -> np.ndarray:
        return np.unique(self.loops[np.isin(self.polygon_of_loop, polygons)])

    def polygon_mean(self, values: np.ndarray) -> np.ndarray:
        """Per polygon, the mean of a per-vertex array over its corners."""
        sums = np.add.reduceat(values[self.loops], self.starts, axis=0)
        return sums / self.totals.reshape(-1, *[1] * (values.ndim - 1))


@dataclass(frozen=True)
class Eye:
    centre: np.ndarray  # (3,) the eyeball's centre of rotation
    axis: np.ndarray    # (3,) unit gaze direction at rest

    def radial(self, points: np.ndarray) -> np.ndarray:
        """Distance of points from the gaze axis (only meaningful in front of the centre)."""
        q = points - self.centre
        return np.linalg.norm(q - np.outer(q @ self.axis, self.axis), axis=1)

    def forward(self, points: np.ndarray) -> np.ndarray:
        return (points - self.centre) @ self.axis


def _sphere_centre(points: np.ndarray) -> np.ndarray:
    """Least-squares sphere through the points: its centre."""
    a = np.c_[2 * points, np.ones(len(points))]
    return np.linalg.lstsq(a, (points ** 2).sum(axis=1), rcond=None)[0][:3]


def eyes(verts: np.ndarray) -> dict[str, Eye]:
    """Left and right eye: a sphere fitted to the sclera behind the cornea bulge, and the axis
    through the centre of the iris disc (ICT's eyes look slightly outwards)."""
    out = {}
    for side in ("left", "right"):
        sclera = verts[span(VERTICES, f"sclera_{side}")]
        iris = verts[np.setdiff1d(span(VERTICES, f"eyeball_{side}"), span(VERTICES, f"sclera_{side}"))]
        centre = _sphere_centre(sclera)
        axis = np.array([0.0, 0.0, 1.0])
        for _ in range(4):  # refit without the cornea, re-aim at the iris disc
            unit = (sclera - centre) / np.linalg.norm(sclera - centre, axis=1, keepdims=True)
            centre = _sphere_centre(sclera[unit @ axis < np.cos(np.radians(45))])
            unit = (iris - centre) / np.linalg.norm(iris - centre, axis=1, keepdims=True)
            axis = iris[unit @ axis > np.cos(np.radians(30))].mean(axis=0) - centre
            axis /= np.linalg.norm(axis)
        out[side] = Eye(centre, axis)
    return out


def inner_lip_line(topo: Topology) -> np.ndarray:
    """The vertices where the face meets the mouth socket: the lips' inner edge."""
    return np.intersect1d(topo.vertices_of(span(POLYGONS, "face")),
                          topo.vertices_of(span(POLYGONS, "mouth")))


def _lips(verts: np.ndarray, topo: Topology) -> np.ndarray:
    """Face polygons within LIP_RINGS edge rings of the inner lip line."""
    face = span(POLYGONS, "face")
    inner = inner_lip_line(topo)
    a, b = topo.edges(face)
    graph = coo_matrix((np.ones(len(a)), (a, b)), shape=(len(verts),) * 2).tocsr()
    rings = dijkstra(graph, indices=inner, min_only=True, unweighted=True)
    lips = np.zeros(len(topo.totals), bool)
    lips[face] = np.maximum.reduceat(rings[topo.loops], topo.starts)[face] <= LIP_RINGS
    return lips


def brows(verts: np.ndarray) -> np.ndarray:
    """How much each vertex is eyebrow (0..1): a soft band above each eye, on the face only."""
    x, y = np.abs(verts[:, 0]), verts[:, 1]
    (x0, y0, t0), (x1, y1, t1), (x2, y2, t2) = BROW
    across = (np.abs(y - np.interp(x, [x0, x1, x2], [y0, y1, y2]))
              / np.interp(x, [x0, x1, x2], [t0, t1, t2]))
    along = np.clip(np.minimum(x - x0, x2 - x) / 0.4, 0.0, 1.0)  # the ends fade over 4 mm
    weight = np.clip(2.0 - 2.0 * across, 0.0, 1.0) * along * (verts[:, 2] > 6.0)
    out = np.zeros(len(verts))
    out[span(VERTICES, "face")] = weight[span(VERTICES, "face")]
    return out


def _lash_tips(verts: np.ndarray, topo: Topology) -> np.ndarray:
    """Lash-card polygons further from the lid than LASH_ROOTS (upper cards: above the eye)."""
    lashes = span(POLYGONS, "eyelashes")
    centres = topo.polygon_mean(verts)[lashes]
    from_lid = cKDTree(verts[span(VERTICES, "face")]).query(centres)[0]
    eye_height = np.mean([e.centre[1] for e in eyes(verts).values()])
    limit = np.where(centres[:, 1] > eye_height, LASH_ROOTS["upper"], LASH_ROOTS["lower"])
    tips = np.zeros(len(topo.totals), bool)
    tips[lashes[from_lid > limit]] = True
    return tips


def polygon_parts(verts: np.ndarray, topo: Topology) -> np.ndarray:
    """The material (index into PARTS) of every polygon."""
    parts = np.full(len(topo.totals), PARTS.index("skin"), np.uint8)
    for ict, part in (("mouth", "mouth"), ("gums_tongue", "gums"), ("teeth", "teeth"),
                      ("lacrimal", "lacrimal"), ("eye_blend", "eye_occlusion"),
                      ("eye_occlusion", "eye_occlusion"), ("eyelashes", "eyelashes")):
        parts[span(POLYGONS, ict)] = PARTS.index(part)
    parts[_lips(verts, topo)] = PARTS.index("lips")
    parts[_lash_tips(verts, topo)] = PARTS.index("lash_tips")
    tongue = topo.polygon_mean(_within(np.arange(len(verts)), VERTICES["tongue"]).astype(float)) == 1.0
    parts[tongue] = PARTS.index("tongue")  # the ring where it meets the gums stays gum
    first = topo.loops[topo.starts]  # eyeball pieces share no vertices: a first corner names one
    centres = topo.polygon_mean(verts)
    for side, eye in eyes(verts).items():
        ball = np.nonzero(_within(first, VERTICES[f"eyeball_{side}"]))[0]
        sclera = _within(first[ball], VERTICES[f"sclera_{side}"])
        forward, radial = eye.forward(centres[ball]), eye.radial(centres[ball])
        parts[ball] = PARTS.index("sclera")
        parts[ball[sclera & (forward > 0) & (radial < IRIS_RADIUS)]] = PARTS.index("cornea")
        # The iris mesh is a ball inside the sclera, its front disc holed for the pupil: what
        # shows through the hole is pupil, the rest iris.
        parts[ball[~sclera]] = PARTS.index("iris")
        parts[ball[~sclera & (radial < PUPIL_RADIUS)]] = PARTS.index("pupil")
    return parts
