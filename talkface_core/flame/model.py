"""Load a user's FLAME head model safely, and check that it has FLAME's structure.

FLAME model files are license-gated, so talkface never ships or downloads one: users point at their
own `generic_model.pkl` / `flame2020*.pkl` / `flame2023*.pkl` (or an .npz with the same arrays).
Pickles can run arbitrary code when loaded with `pickle.load`, and numpy's own reconstructors
crash on crafted states, so they are read by `safe_pickle.restricted_loads`, which builds numpy
arrays itself from checked bytes, shapes and type strings, densifies the scipy.sparse matrices and
unwraps the chumpy objects FLAME's pickles contain (without importing scipy or chumpy), bounds
size, depth and sharing, and refuses everything else with FlameError.

Any vertex count V is accepted (FLAME has 5023) so that tests can build a small FLAME-format head;
the structure is checked strictly: 5 joints (root, neck, jaw, left eye, right eye), 300 shape
components followed by 100 or 50 expression components, and array shapes that agree with V.

The landmark embedding (68 iBUG landmarks, or the 51 "static" ones without the jaw contour) is read
from a file given explicitly, else from the model file when it holds `lmk_faces_idx`/
`lmk_bary_coords`, else from a file lying next to the model under one of FLAME's usual names
(LANDMARK_FILE_NAMES).
"""
from __future__ import annotations

import ast
import hashlib
import os
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np

from .safe_pickle import MAX_ELEMENTS, Budget, FlameError, plain_dtype, restricted_loads

NUM_SHAPE = 300
EXPRESSION_SIZES = (100, 50)
NUM_JOINTS = 5
NECK, JAW, LEFT_EYE, RIGHT_EYE = 1, 2, 3, 4
ALL_LANDMARKS = 68      # iBUG 68 points: 0-16 jaw contour, 17-67 brows, nose, eyes, lips
STATIC_LANDMARKS = 51   # iBUG 17-67: FLAME's "static" embedding leaves out the jaw contour
MAX_FILE_BYTES = 2 << 30
_MAX_NPY_HEADER = 10_000   # numpy's own limit for headers it reads without being told to trust them

# Searched for next to the model (in this order) when the model file has no landmark embedding.
LANDMARK_FILE_NAMES = ("landmark_embedding.npy", "landmark_embedding.npz",
                       "flame_landmark_embedding.npz", "flame_static_embedding.pkl",
                       "flame_static_embedding.npz")

# Key aliases of the embedding arrays, best first: the full 68 before the static 51.
_LMK_FACES_KEYS = ("full_lmk_faces_idx", "lmk_faces_idx", "lmk_face_idx", "static_lmk_faces_idx")
_LMK_BARY_KEYS = ("full_lmk_bary_coords", "lmk_bary_coords", "lmk_b_coords",
                  "static_lmk_bary_coords")


# -- files -----------------------------------------------------------------------------------

def _npy_header(fp: IO[bytes]) -> tuple[tuple[int, ...], bool, np.dtype]:
    """(shape, Fortran order, dtype) of a .npy header, parsed here: numpy's own parser makes any
    dtype a header describes (structured, sub-arrays) and raises tokenize errors on damaged ones."""
    major, _ = np.lib.format.read_magic(fp)
    if major not in (1, 2, 3):
        raise FlameError(f"unknown .npy format version {major}")
    size = fp.read(2 if major == 1 else 4)
    length = int.from_bytes(size, "little")
    if len(size) not in (2, 4) or length > _MAX_NPY_HEADER:
        raise FlameError(f"refused a .npy header of {length} bytes")
    try:
        header = ast.literal_eval(fp.read(length).decode("latin1" if major < 3 else "utf8"))
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        header = None
    if not (isinstance(header, dict) and set(header) == {"descr", "fortran_order", "shape"}
            and header["fortran_order"] in (True, False) and isinstance(header["shape"], tuple)
            and all(isinstance(n, int) and 0 <= n <= MAX_ELEMENTS for n in header["shape"])):
        raise FlameError("damaged .npy header")
    return header["shape"], header["fortran_order"], plain_dtype(header["descr"])


def _read_npy(fp: IO[bytes], budget: Budget) -> np.ndarray:
    """One .npy array, made from its bytes with the checked header's dtype; object arrays (a
    pickled dict, as in landmark_embedding.npy) go through `restricted_loads`, never numpy's
    allow_pickle."""
    shape, fortran, dtype = _npy_header(fp)
    if dtype.hasobject:
        value = restricted_loads(fp.read(MAX_FILE_BYTES + 1), budget)
        return value if isinstance(value, np.ndarray) else np.array(value, dtype=object)
    count = int(np.prod(shape, dtype=object))
    budget.take(count)
    raw = fp.read(count * dtype.itemsize)
    if len(raw) != count * dtype.itemsize:
        raise FlameError("truncated array data")
    return np.frombuffer(raw, dtype=dtype).reshape(shape, order="F" if fortran else "C")


def _read_arrays(path: Path) -> dict[str, Any]:
    """The top-level name -> value mapping of a .pkl, .npz or .npy file (a dict for the latter
    when it holds one pickled dict). Every error names the file once."""
    if not path.is_file():
        raise FlameError(f"file not found: {path}")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise FlameError(f"{path.name} is larger than any FLAME file ({path.stat().st_size} bytes)")
    suffix = path.suffix.lower()
    if suffix not in (".npz", ".npy", ".pkl", ".pickle"):
        raise FlameError(f"{path.name}: unknown FLAME file type {suffix!r} (use .pkl or .npz)")
    budget = Budget()
    try:
        if suffix == ".npz":
            with zipfile.ZipFile(path) as zf:
                out: dict[str, Any] = {}
                for member in zf.namelist():
                    if member.endswith(".npy"):
                        with zf.open(member) as fp:
                            out[member[:-4]] = _read_npy(fp, budget)
                return out
        if suffix == ".npy":
            with path.open("rb") as fp:
                value = _read_npy(fp, budget)
        else:
            value = restricted_loads(path.read_bytes(), budget)
    except FlameError as exc:
        raise FlameError(f"{path.name}: {exc}") from None
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error,
            NotImplementedError, RuntimeError) as exc:   # zipfile: odd compression, encryption
        raise FlameError(f"{path.name} is not a readable FLAME file: {exc}") from None
    if isinstance(value, np.ndarray) and value.dtype == object and value.ndim == 0:
        value = value.item()
    if not isinstance(value, dict):
        raise FlameError(f"{path.name} does not hold named arrays (found {type(value).__name__})")
    return value


def file_hash(*paths: Path) -> str:
    digest = hashlib.sha256()
    for path in paths:
        with path.open("rb") as fp:
            for block in iter(lambda: fp.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


# -- the model -------------------------------------------------------------------------------

@dataclass(frozen=True)
class FlameModel:
    """The FLAME arrays talkface uses, validated, in float64 (V vertices, E expressions)."""

    v_template: np.ndarray          # (V, 3) mean head
    shapedirs: np.ndarray           # (V, 3, 300) identity basis
    exprdirs: np.ndarray            # (V, 3, E) expression basis
    posedirs: np.ndarray            # (V, 3, 36) pose correctives, on (R - I) of joints 1..4
    J_regressor: np.ndarray         # (5, V) joints from vertices
    weights: np.ndarray             # (V, 5) skinning weights
    kintree_table: np.ndarray       # (2, 5) parent, joint
    faces: np.ndarray               # (F, 3) int
    lmk_faces_idx: np.ndarray       # (L,) face of each landmark, L = 68 or 51
    lmk_bary_coords: np.ndarray     # (L, 3) barycentric coordinates in that face
    path: Path
    sha256: str                     # of the model file and the landmark file, in that order

    @property
    def num_vertices(self) -> int:
        return self.v_template.shape[0]

    @property
    def num_expressions(self) -> int:
        return self.exprdirs.shape[2]

    def joints(self) -> np.ndarray:
        """(5, 3) joint positions of the mean head."""
        return self.J_regressor @ self.v_template

    def landmarks(self) -> np.ndarray:
        """(68, 3) iBUG landmark positions on the mean head; NaN rows for a 51-point embedding's
        missing jaw contour (0-16)."""
        if len(self.lmk_faces_idx) == 0:
            raise FlameError(f"{self.path.name}: loaded without a landmark embedding")
        tri = self.v_template[self.faces[self.lmk_faces_idx]]          # (L, 3 corners, 3)
        points = np.einsum("lc,lcd->ld", self.lmk_bary_coords, tri)
        if len(points) == ALL_LANDMARKS:
            return points
        out = np.full((ALL_LANDMARKS, 3), np.nan)
        out[ALL_LANDMARKS - STATIC_LANDMARKS:] = points
        return out


def load_flame(path: str | os.PathLike[str], landmarks: str | os.PathLike[str] | None = None, *,
               need_landmarks: bool = True) -> FlameModel:
    """Read and validate a FLAME model (.pkl or .npz) and its landmark embedding.

    `landmarks`: the embedding file to use (over one inside the model or next to it).
    need_landmarks=False loads a model without any (enough to build a head, not to map ARKit
    onto it). Raises FlameError naming the first problem found.
    """
    path = Path(path)
    arrays = _read_arrays(path)
    name = path.name
    v_template = _array(arrays, "v_template", name, ndim=2)
    V = v_template.shape[0]
    _expect(v_template.shape == (V, 3) and V >= 4, name, "v_template", "(V, 3)", v_template.shape)

    shapedirs = _array(arrays, "shapedirs", name, ndim=3)
    total = shapedirs.shape[2] if shapedirs.ndim == 3 else -1
    E = total - NUM_SHAPE
    _expect(shapedirs.shape[:2] == (V, 3) and E in EXPRESSION_SIZES, name, "shapedirs",
            f"({V}, 3, {NUM_SHAPE} + {' or '.join(map(str, EXPRESSION_SIZES))})", shapedirs.shape)

    P = 9 * (NUM_JOINTS - 1)
    posedirs = _array(arrays, "posedirs", name)
    if posedirs.shape == (V * 3, P):  # some exports flatten the vertex axes
        posedirs = posedirs.reshape(V, 3, P)
    _expect(posedirs.shape == (V, 3, P), name, "posedirs", f"({V}, 3, {P})", posedirs.shape)

    J_regressor = _array(arrays, "J_regressor", name, ndim=2)
    _expect(J_regressor.shape == (NUM_JOINTS, V), name, "J_regressor", f"({NUM_JOINTS}, {V})",
            J_regressor.shape)
    weights = _array(arrays, "weights", name, ndim=2)
    _expect(weights.shape == (V, NUM_JOINTS), name, "weights", f"({V}, {NUM_JOINTS})",
            weights.shape)
    if np.abs(weights.sum(axis=1) - 1.0).max() > 1e-3:
        raise FlameError(f"{name}: skinning weights do not sum to 1 per vertex")

    kintree = _array(arrays, "kintree_table", name, ndim=2, dtype=np.int64)
    _expect(kintree.shape == (2, NUM_JOINTS), name, "kintree_table", f"(2, {NUM_JOINTS})",
            kintree.shape)
    if list(kintree[1]) != list(range(NUM_JOINTS)) or list(kintree[0, 1:]) != [0, 1, 1, 1]:
        raise FlameError(f"{name}: kintree_table is not FLAME's joint tree "
                         "(root, neck <- root, jaw/eyes <- neck)")

    faces = _array(arrays, "f", name, ndim=2, dtype=np.int64)
    _expect(faces.ndim == 2 and faces.shape[1] == 3 and len(faces) > 0, name, "f", "(F, 3)",
            faces.shape)
    if faces.min() < 0 or faces.max() >= V:
        raise FlameError(f"{name}: faces index vertices outside 0..{V - 1}")

    lmk_file = None
    # An embedding file the user names wins over one inside the model: they asked for it.
    if not landmarks and any(k in arrays for k in _LMK_FACES_KEYS):
        lmk_faces, lmk_bary = _landmark_embedding(arrays, name, len(faces))
    else:
        try:
            lmk_file = Path(landmarks) if landmarks else _find_landmark_file(path)
        except FlameError:
            if need_landmarks:
                raise
            lmk_faces, lmk_bary = np.zeros(0, np.int64), np.zeros((0, 3))
        else:
            lmk_faces, lmk_bary = _landmark_embedding(_read_arrays(lmk_file), lmk_file.name,
                                                      len(faces))

    return FlameModel(
        v_template=v_template, shapedirs=shapedirs[:, :, :NUM_SHAPE],
        exprdirs=shapedirs[:, :, NUM_SHAPE:], posedirs=posedirs, J_regressor=J_regressor,
        weights=weights, kintree_table=kintree, faces=faces, lmk_faces_idx=lmk_faces,
        lmk_bary_coords=lmk_bary, path=path,
        sha256=file_hash(path, *([lmk_file] if lmk_file else [])))


def _array(arrays: dict[str, Any], key: str, name: str, *, ndim: int | None = None,
           dtype: type = np.float64) -> np.ndarray:
    if key not in arrays:
        raise FlameError(f"{name} has no '{key}' array: not a FLAME model "
                         f"(found: {', '.join(sorted(map(str, arrays))) or 'nothing'})")
    value = arrays[key]
    try:
        out = np.array(value, dtype=dtype)
    except (TypeError, ValueError, OverflowError):
        raise FlameError(f"{name}: '{key}' is not a numeric array") from None
    if ndim is not None and out.ndim != ndim:
        raise FlameError(f"{name}: '{key}' must have {ndim} dimensions, has shape {out.shape}")
    if not np.isfinite(out).all():
        raise FlameError(f"{name}: '{key}' contains NaN or infinite values")
    return out


def _expect(ok: bool, name: str, key: str, wanted: str, got: tuple[int, ...]) -> None:
    if not ok:
        raise FlameError(f"{name}: '{key}' has shape {tuple(got)}, expected {wanted}")


def _find_landmark_file(model_path: Path) -> Path:
    for candidate in LANDMARK_FILE_NAMES:
        found = model_path.with_name(candidate)
        if found.is_file():
            return found
    raise FlameError(
        f"{model_path.name} has no landmark embedding and none lies next to it "
        f"({', '.join(LANDMARK_FILE_NAMES)}). Pass the embedding file from your FLAME download "
        "(e.g. --flame-landmarks landmark_embedding.npy)")


def _landmark_embedding(arrays: dict[str, Any], name: str, num_faces: int,
                        ) -> tuple[np.ndarray, np.ndarray]:
    fkey = next((k for k in _LMK_FACES_KEYS if k in arrays), None)
    bkey = next((k for k in _LMK_BARY_KEYS if k in arrays
                 and k.split("_")[0] == (fkey or "").split("_")[0]), None)
    if fkey is None or bkey is None:
        raise FlameError(f"{name} holds no landmark embedding (lmk_faces_idx + lmk_bary_coords)")
    faces = _array(arrays, fkey, name, dtype=np.int64).reshape(-1)
    bary = _array(arrays, bkey, name)
    bary = bary.reshape(-1, 3) if bary.size % 3 == 0 else bary
    if len(faces) not in (ALL_LANDMARKS, STATIC_LANDMARKS) or bary.shape != (len(faces), 3):
        raise FlameError(f"{name}: landmark embedding has {len(faces)} faces and bary shape "
                         f"{bary.shape}; expected 68 or 51 landmarks with (L, 3) coordinates")
    if faces.min() < 0 or faces.max() >= num_faces:
        raise FlameError(f"{name}: landmark faces index outside the model's {num_faces} faces")
    return faces, bary
