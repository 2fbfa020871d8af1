"""Load a user's FLAME head model safely, and check that it has FLAME's structure.

FLAME model files are license-gated, so talkface never ships or downloads one: users point at their
own `generic_model.pkl` / `flame2020*.pkl` / `flame2023*.pkl` (or an .npz with the same arrays).
Pickles can run arbitrary code when loaded with `pickle.load`, so they are read by
`RestrictedUnpickler`, which only resolves the handful of numpy constructors that rebuild arrays,
plus stand-ins for the scipy.sparse and chumpy classes FLAME's pickles contain (turned into plain
numpy arrays afterwards, without importing chumpy). Any other global in the file is refused with
FlameError before it can be called.

Any vertex count V is accepted (FLAME has 5023) so that tests can build a small FLAME-format head;
the structure is checked strictly: 5 joints (root, neck, jaw, left eye, right eye), 300 shape
components followed by 100 or 50 expression components, and array shapes that agree with V.

The landmark embedding (68 iBUG landmarks, or the 51 "static" ones without the jaw contour) is read
from a file given explicitly, else from the model file when it holds `lmk_faces_idx`/
`lmk_bary_coords`, else from a file lying next to the model under one of FLAME's usual names
(LANDMARK_FILE_NAMES).
"""
from __future__ import annotations

import hashlib
import io
import os
import pickle
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

NUM_SHAPE = 300
EXPRESSION_SIZES = (100, 50)
NUM_JOINTS = 5
NECK, JAW, LEFT_EYE, RIGHT_EYE = 1, 2, 3, 4
ALL_LANDMARKS = 68      # iBUG 68 points: 0-16 jaw contour, 17-67 brows, nose, eyes, lips
STATIC_LANDMARKS = 51   # iBUG 17-67: FLAME's "static" embedding leaves out the jaw contour
MAX_FILE_BYTES = 2 << 30

# Searched for next to the model (in this order) when the model file has no landmark embedding.
LANDMARK_FILE_NAMES = ("landmark_embedding.npy", "landmark_embedding.npz",
                       "flame_landmark_embedding.npz", "flame_static_embedding.pkl",
                       "flame_static_embedding.npz")

# Key aliases of the embedding arrays, best first: the full 68 before the static 51.
_LMK_FACES_KEYS = ("full_lmk_faces_idx", "lmk_faces_idx", "lmk_face_idx", "static_lmk_faces_idx")
_LMK_BARY_KEYS = ("full_lmk_bary_coords", "lmk_bary_coords", "lmk_b_coords",
                  "static_lmk_bary_coords")


class FlameError(ValueError):
    """A FLAME model file that cannot be used, with a message that says why."""


# -- restricted unpickling -------------------------------------------------------------------

class _PickledObject:
    """Stand-in for a chumpy or scipy.sparse object: keeps the pickled state, runs nothing."""

    def __setstate__(self, state: Any) -> None:
        self.state = state


class _Chumpy(_PickledObject):
    """chumpy.Ch: its pickled state holds the values as the array 'x'."""


class _Sparse(_PickledObject):
    format = ""  # "csc" / "csr", from the class name: newer scipy does not pickle the format


def _reconstructor(cls: type, base: type, state: Any) -> object:
    """copyreg._reconstructor limited to our stand-ins (how Python 2 pickled new-style objects)."""
    if base is not object or not (isinstance(cls, type) and issubclass(cls, _PickledObject)):
        raise pickle.UnpicklingError(f"refused to rebuild {getattr(cls, '__name__', cls)!r} "
                                     f"from {getattr(base, '__name__', base)!r}")
    return object.__new__(cls)


def _latin1_bytes(text: str, encoding: str = "latin1") -> bytes:
    """_codecs.encode as Python 3 protocol-2 pickles use it for bytes; only for the latin1 case."""
    if encoding not in ("latin1", "latin-1") or not isinstance(text, str):
        raise pickle.UnpicklingError(f"refused _codecs.encode with encoding {encoding!r}")
    return text.encode("latin1")


def _numpy_globals() -> dict[tuple[str, str], Any]:
    try:  # numpy 2 names the package numpy._core (numpy.core still works there, with a warning)
        from numpy._core import multiarray, numeric
    except ImportError:
        from numpy.core import multiarray, numeric

    # numpy 1.x writes numpy.core.*, numpy 2.x writes numpy._core.*: both mean the same functions.
    found: dict[tuple[str, str], Any] = {("numpy", "ndarray"): np.ndarray,
                                         ("numpy", "dtype"): np.dtype}
    for core in ("numpy.core", "numpy._core"):
        found[(f"{core}.multiarray", "_reconstruct")] = multiarray._reconstruct
        found[(f"{core}.multiarray", "scalar")] = multiarray.scalar
        found[(f"{core}.numeric", "_frombuffer")] = numeric._frombuffer
    return found


class RestrictedUnpickler(pickle.Unpickler):
    """Unpickler for FLAME files: numpy arrays, dicts, lists, strings, numbers; nothing callable
    beyond the array constructors. `find_class` is the only way a pickle reaches code, so refusing
    everything else there makes loading an untrusted file safe."""

    _ALLOWED = _numpy_globals() | {
        ("copy_reg", "_reconstructor"): _reconstructor,
        ("copyreg", "_reconstructor"): _reconstructor,
        ("__builtin__", "object"): object,
        ("builtins", "object"): object,
        ("_codecs", "encode"): _latin1_bytes,
    }

    def find_class(self, module: str, name: str) -> Any:
        allowed = self._ALLOWED.get((module, name))
        if allowed is not None:
            return allowed
        if module == "chumpy" or module.startswith("chumpy."):
            return _Chumpy
        if module.startswith("scipy.sparse") and name.endswith(("_matrix", "_array")):
            return type(name, (_Sparse,), {"format": name[:3]})
        raise FlameError(f"refused to load {module}.{name} from the pickle: a FLAME model file "
                         "only holds numpy arrays (this file may be malicious, or not FLAME)")

    def persistent_load(self, pid: Any) -> Any:
        raise FlameError("refused a pickle with persistent references: not a FLAME model file")


def restricted_loads(data: bytes) -> Any:
    """Unpickle `data` with RestrictedUnpickler; latin1 reads FLAME's Python 2 pickles."""
    try:
        return _plain(RestrictedUnpickler(io.BytesIO(data), encoding="latin1").load())
    except FlameError:
        raise
    except Exception as exc:  # noqa: BLE001 - any failure of a corrupt pickle: one clear error
        raise FlameError(f"corrupt or unsupported pickle ({type(exc).__name__}: {exc})") from None


def _plain(obj: Any) -> Any:
    """Replace chumpy/sparse stand-ins (anywhere in dicts and lists) by numpy arrays."""
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_plain(v) for v in obj)
    if isinstance(obj, np.ndarray) and obj.dtype == object:
        return np.array([_plain(v) for v in obj.ravel()], dtype=object).reshape(obj.shape) \
            if obj.ndim else np.array(_plain(obj.item()), dtype=object)
    if isinstance(obj, _Chumpy):
        x = obj.state.get("x") if isinstance(obj.state, dict) else None
        if not isinstance(x, np.ndarray):
            raise FlameError("a chumpy object in the file holds no stored array ('x'); re-save "
                             "the model with numpy arrays")
        return x
    if isinstance(obj, _Sparse):
        return _dense(obj.state, obj.format)
    return obj


def _dense(state: Any, class_format: str) -> np.ndarray:
    """A CSC/CSR matrix from its pickled attributes, as a dense array (FLAME's is 5 x V)."""
    if not isinstance(state, dict):
        raise FlameError("unreadable sparse matrix in the file")
    shape = state.get("_shape", state.get("shape"))
    fmt = state.get("format") or class_format
    data, indices, indptr = (state.get(k) for k in ("data", "indices", "indptr"))
    if fmt not in ("csc", "csr") or shape is None or any(
            not isinstance(a, np.ndarray) for a in (data, indices, indptr)):
        raise FlameError(f"unsupported sparse matrix format {fmt!r} in the file")
    rows, cols = int(shape[0]), int(shape[1])
    major = cols if fmt == "csc" else rows
    if indptr.shape != (major + 1,) or indptr[-1] > len(indices) or len(data) < indptr[-1]:
        raise FlameError("corrupt sparse matrix in the file")
    out = np.zeros((rows, cols), dtype=np.float64)
    minor = np.asarray(indices, dtype=np.int64)
    if len(minor) and (minor.min() < 0 or minor.max() >= (rows if fmt == "csc" else cols)):
        raise FlameError("corrupt sparse matrix in the file (index out of range)")
    for m in range(major):
        sl = slice(int(indptr[m]), int(indptr[m + 1]))
        if fmt == "csc":
            out[minor[sl], m] = data[sl]
        else:
            out[m, minor[sl]] = data[sl]
    return out


# -- files -----------------------------------------------------------------------------------

def _read_npy(fp: io.BufferedIOBase) -> np.ndarray:
    """One .npy array; object arrays (a pickled dict, as in landmark_embedding.npy) are unpickled
    with RestrictedUnpickler instead of numpy's allow_pickle."""
    version = np.lib.format.read_magic(fp)
    if version == (1, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_1_0(fp)
    else:
        shape, fortran, dtype = np.lib.format.read_array_header_2_0(fp)
    if dtype.hasobject:
        value = restricted_loads(fp.read())
        return value if isinstance(value, np.ndarray) else np.array(value, dtype=object)
    count = int(np.prod(shape, dtype=np.int64))
    raw = fp.read(count * dtype.itemsize)
    if len(raw) != count * dtype.itemsize:
        raise FlameError("truncated array data")
    return np.frombuffer(raw, dtype=dtype).reshape(shape, order="F" if fortran else "C").copy()


def _read_arrays(path: Path) -> dict[str, Any]:
    """The top-level name -> value mapping of a .pkl, .npz or .npy file (a dict for the latter
    when it holds one pickled dict)."""
    if not path.is_file():
        raise FlameError(f"file not found: {path}")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise FlameError(f"{path.name} is larger than any FLAME file ({path.stat().st_size} bytes)")
    suffix = path.suffix.lower()
    try:
        if suffix == ".npz":
            with zipfile.ZipFile(path) as zf:
                out: dict[str, Any] = {}
                for member in zf.namelist():
                    if member.endswith(".npy"):
                        with zf.open(member) as fp:
                            out[member[:-4]] = _read_npy(fp)
                return out
        if suffix == ".npy":
            with path.open("rb") as fp:
                value = _read_npy(fp)
        elif suffix in (".pkl", ".pickle"):
            value = restricted_loads(path.read_bytes())
        else:
            raise FlameError(f"{path.name}: unknown FLAME file type {suffix!r} (use .pkl or .npz)")
    except FlameError as exc:
        raise FlameError(f"{path.name}: {exc}") from None
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
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
    except (TypeError, ValueError):
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
