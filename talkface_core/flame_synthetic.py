"""A small synthetic head in FLAME's file format, for tests and for trying the FLAME path without
the license-gated model. It has FLAME's array names, joint tree and landmark embedding, but is not
FLAME: the face is a bulged grid (FLAME's axes: x = subject's left, y = up, z = forward, metres),
the lower face is skinned to the jaw, two small eyeballs to the eye joints, and the identity,
expression and pose bases are random (the expression basis orthonormal, optionally spanning given
displacement fields). Nothing here is written to the repository: callers write it to a temp dir.
"""
from __future__ import annotations

import pickle
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .flame import JAW, LEFT_EYE, NECK, NUM_JOINTS, NUM_SHAPE, RIGHT_EYE

STEP = 0.004
MOUTH_Y = -0.040  # the lips meet here: below is skinned to the jaw

# iBUG-68 landmark layout (x, y) in metres: 0-16 jaw contour, 17-21 / 22-26 right / left brow,
# 27-35 nose, 36-41 / 42-47 right / left eye, 48-59 outer lips, 60-67 inner lips.
_CONTOUR = [(0.07 * np.cos(a), -0.01 + 0.085 * np.sin(a))
            for a in np.linspace(np.pi, 2 * np.pi, 17)]
_BROW_R = [(-0.055, 0.042), (-0.045, 0.048), (-0.034, 0.050), (-0.023, 0.049), (-0.013, 0.046)]
_NOSE = [(0.0, 0.028), (0.0, 0.018), (0.0, 0.008), (0.0, -0.002),
         (-0.014, -0.012), (-0.007, -0.014), (0.0, -0.015), (0.007, -0.014), (0.014, -0.012)]
_EYE_R = [(-0.046, 0.025), (-0.037, 0.030), (-0.027, 0.030), (-0.018, 0.025), (-0.027, 0.021),
          (-0.037, 0.021)]
_LIPS = [(-0.025, -0.040), (-0.015, -0.033), (-0.006, -0.030), (0.0, -0.031), (0.006, -0.030),
         (0.015, -0.033), (0.025, -0.040), (0.015, -0.048), (0.006, -0.051), (0.0, -0.052),
         (-0.006, -0.051), (-0.015, -0.048),
         (-0.020, -0.038), (-0.008, -0.038), (0.0, -0.038), (0.008, -0.038),
         (0.020, -0.042), (0.008, -0.042), (0.0, -0.042), (-0.008, -0.042)]


def _mirror(points: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    return [(-x, y) for x, y in points]


def _eye_left() -> list[tuple[float, float]]:
    # iBUG numbers the left eye from its inner corner: the right eye's 39, 38, 37, 36, 41, 40
    # mirrored.
    r = _EYE_R
    return _mirror([r[3], r[2], r[1], r[0], r[5], r[4]])


LANDMARKS_2D = np.array(_CONTOUR + _BROW_R + _mirror(_BROW_R[::-1]) + _NOSE + _EYE_R + _eye_left()
                        + _LIPS)
assert LANDMARKS_2D.shape == (68, 2)
EYE_CENTERS = np.array([(0.032, 0.025), (-0.032, 0.025)])  # left, right


def _depth(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Face surface z(x, y): an ellipsoid cap with a nose."""
    cap = 0.09 * np.sqrt(np.clip(1 - (x / 0.1) ** 2 - ((y + 0.02) / 0.14) ** 2, 0.05, None))
    return cap + 0.02 * np.exp(-(x / 0.012) ** 2 - ((y - 0.005) / 0.025) ** 2)


def _grid() -> tuple[np.ndarray, np.ndarray]:
    xs = np.arange(-0.08, 0.08 + 1e-9, STEP)
    ys = np.arange(-0.11, 0.07 + 1e-9, STEP)
    gx, gy = np.meshgrid(xs, ys)
    verts = np.stack([gx.ravel(), gy.ravel(), _depth(gx, gy).ravel()], axis=1)
    nx = len(xs)
    faces = []
    for j in range(len(ys) - 1):
        for i in range(nx - 1):
            a, b, c, d = j * nx + i, j * nx + i + 1, (j + 1) * nx + i, (j + 1) * nx + i + 1
            faces += [(a, b, d), (a, d, c)]
    return verts, np.array(faces)


def _eyeball(center: np.ndarray, offset: int) -> tuple[np.ndarray, np.ndarray]:
    """An octahedron sphere stand-in: 6 vertices, 8 faces."""
    r = 0.011
    verts = center + r * np.vstack([np.eye(3), -np.eye(3)])[[0, 3, 1, 4, 2, 5]]
    faces = np.array([(0, 2, 4), (2, 1, 4), (1, 3, 4), (3, 0, 4),
                      (2, 0, 5), (1, 2, 5), (3, 1, 5), (0, 3, 5)]) + offset
    return verts, faces


def _embed(verts: np.ndarray, faces: np.ndarray, points: np.ndarray,
           ) -> tuple[np.ndarray, np.ndarray]:
    """Face index and barycentric coordinates of each point (projected into its nearest face)."""
    centroids = verts[faces].mean(axis=1)
    idx = np.argmin(((points[:, None] - centroids[None]) ** 2).sum(-1), axis=1)
    bary = np.empty((len(points), 3))
    for n, (p, f) in enumerate(zip(points, idx)):
        a, b, c = verts[faces[f]]
        m = np.stack([b - a, c - a], axis=1)
        uv = np.linalg.lstsq(m, p - a, rcond=None)[0]
        bary[n] = (1 - uv.sum(), uv[0], uv[1])
    return idx, bary


def _regressor_row(verts: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Minimum-norm affine weights w (sum 1) with w @ verts == target."""
    a = np.vstack([verts.T, np.ones(len(verts))])
    return np.linalg.lstsq(a, np.append(target, 1.0), rcond=None)[0]


def synthetic_flame(num_expressions: int = 100, *, span: Sequence[np.ndarray] = (),
                    seed: int = 0) -> dict[str, np.ndarray]:
    """FLAME-format arrays (the keys of generic_model.pkl, plus lmk_faces_idx / lmk_bary_coords).

    span: (V, 3) displacement fields the expression basis must contain exactly (each becomes one
    direction of the orthonormal basis); the rest of the basis is random.
    """
    rng = np.random.default_rng(seed)
    face_v, face_f = _grid()
    centers3 = np.array([(x, y, _depth(np.array(x), np.array(y)) - 0.012) for x, y in EYE_CENTERS])
    eye_l, eye_lf = _eyeball(centers3[0], len(face_v))
    eye_r, eye_rf = _eyeball(centers3[1], len(face_v) + 6)
    verts = np.vstack([face_v, eye_l, eye_r])
    faces = np.vstack([face_f, eye_lf, eye_rf])
    V = len(verts)

    # Lower face (below the lips, inside the jaw line) follows the jaw; the rest the neck joint.
    x, y = face_v[:, 0], face_v[:, 1]
    below = np.clip((MOUTH_Y - y) / STEP + 0.5, 0.0, 1.0)
    inside = np.clip((0.065 - np.abs(x)) / 0.015, 0.0, 1.0)
    jaw = below * inside
    weights = np.zeros((V, NUM_JOINTS))
    weights[: len(face_v), JAW] = jaw
    weights[: len(face_v), NECK] = 1.0 - jaw
    weights[len(face_v): len(face_v) + 6, LEFT_EYE] = 1.0
    weights[len(face_v) + 6:, RIGHT_EYE] = 1.0

    joints = np.array([(0, -0.13, -0.04), (0, -0.11, -0.03), (0, -0.012, -0.035),
                       tuple(centers3[0]), tuple(centers3[1])])
    J_regressor = np.stack([_regressor_row(verts, j) for j in joints])

    basis = rng.standard_normal((V * 3, num_expressions))
    if span:
        fields = np.stack([np.asarray(s, dtype=np.float64).reshape(-1) for s in span], axis=1)
        basis[:, : fields.shape[1]] = fields
    q, _ = np.linalg.qr(basis)
    # FLAME's columns are scaled by the component's standard deviation; millimetres here.
    exprdirs = (q * 0.01).reshape(V, 3, num_expressions)
    shapedirs = np.concatenate([rng.normal(0, 1e-4, (V, 3, NUM_SHAPE)), exprdirs], axis=2)

    lmk_points = np.column_stack([LANDMARKS_2D, _depth(LANDMARKS_2D[:, 0], LANDMARKS_2D[:, 1])])
    lmk_faces, lmk_bary = _embed(face_v, face_f, lmk_points)
    return {
        "v_template": verts, "shapedirs": shapedirs.astype(np.float64),
        "posedirs": rng.normal(0, 1e-4, (V, 3, 9 * (NUM_JOINTS - 1))),
        "J_regressor": J_regressor, "weights": weights,
        "kintree_table": np.array([[2**32 - 1, 0, 1, 1, 1], [0, 1, 2, 3, 4]], dtype=np.int64),
        "f": faces.astype(np.uint32), "lmk_faces_idx": lmk_faces.astype(np.int64),
        "lmk_bary_coords": lmk_bary,
    }


def write_synthetic_flame(path: str | Path, arrays: dict[str, np.ndarray] | None = None) -> Path:
    """Write the arrays as .npz or as a generic_model.pkl-style pickle (protocol 2, as FLAME's)."""
    path = Path(path)
    arrays = synthetic_flame() if arrays is None else arrays
    if path.suffix == ".npz":
        np.savez(path, **arrays)
    else:
        with path.open("wb") as fp:
            pickle.dump(dict(arrays), fp, protocol=2)
    return path
