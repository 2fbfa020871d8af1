"""FLAME model loading: good files (.npz, generic_model.pkl-style pickles, chumpy/scipy contents),
every kind of bad file, and malicious pickles that must be refused without running anything."""
from __future__ import annotations

import os
import pickle
import sys
import types
import zipfile
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse

from talkface_core.flame.model import FlameError, load_flame, restricted_loads
from fixtures.flame_synthetic import synthetic_flame, write_synthetic_flame


@pytest.fixture(scope="module")
def arrays() -> dict[str, np.ndarray]:
    return synthetic_flame()


def _write_pickle(path: Path, obj: object, protocol: int = 2) -> Path:
    path.write_bytes(pickle.dumps(obj, protocol=protocol))
    return path


@pytest.mark.parametrize("suffix", [".npz", ".pkl"])
def test_loads_synthetic_model(tmp_path, arrays, suffix):
    model = load_flame(write_synthetic_flame(tmp_path / f"generic_model{suffix}", arrays))
    V = len(arrays["v_template"])
    assert model.num_vertices == V and model.num_expressions == 100
    assert model.shapedirs.shape == (V, 3, 300) and model.exprdirs.shape == (V, 3, 100)
    np.testing.assert_allclose(model.exprdirs, arrays["shapedirs"][:, :, 300:])
    assert model.posedirs.shape == (V, 3, 36) and model.faces.dtype == np.int64
    assert model.landmarks().shape == (68, 3) and np.isfinite(model.landmarks()).all()
    assert len(model.sha256) == 64


def test_fifty_expressions_and_flat_posedirs(tmp_path, arrays):
    small = dict(arrays, shapedirs=arrays["shapedirs"][:, :, :350],
                 posedirs=arrays["posedirs"].reshape(-1, 36))
    model = load_flame(write_synthetic_flame(tmp_path / "m.npz", small))
    assert model.num_expressions == 50 and model.posedirs.shape[1:] == (3, 36)


def test_python2_style_pickle_with_chumpy_and_sparse(tmp_path, arrays, monkeypatch):
    """FLAME 2020's generic_model.pkl holds chumpy arrays and a scipy CSC J_regressor: both load
    without chumpy installed, as plain arrays."""
    chumpy = types.ModuleType("chumpy")
    chumpy_ch = types.ModuleType("chumpy.ch")

    class Ch:  # what chumpy.Ch pickles: an object whose state has the values in 'x'
        def __init__(self, x):
            self.x = x
            self.label = "shapedirs"

    Ch.__module__, Ch.__qualname__ = "chumpy.ch", "Ch"
    chumpy_ch.Ch = Ch
    monkeypatch.setitem(sys.modules, "chumpy", chumpy)
    monkeypatch.setitem(sys.modules, "chumpy.ch", chumpy_ch)
    doc = dict(arrays, shapedirs=Ch(arrays["shapedirs"]), v_template=Ch(arrays["v_template"]),
               J_regressor=scipy.sparse.csc_matrix(arrays["J_regressor"]),
               bs_style="lbs", bs_type="lrotmin")
    path = _write_pickle(tmp_path / "generic_model.pkl", doc)
    monkeypatch.delitem(sys.modules, "chumpy.ch")
    model = load_flame(path)
    np.testing.assert_allclose(model.J_regressor, arrays["J_regressor"])
    np.testing.assert_allclose(model.v_template, arrays["v_template"])


def test_landmarks_from_a_file_next_to_the_model(tmp_path, arrays):
    """A model without the embedding finds FLAME's flame_static_embedding.pkl (51 points) next to
    it; the missing jaw contour reads as NaN."""
    model_arrays = {k: v for k, v in arrays.items() if not k.startswith("lmk_")}
    path = write_synthetic_flame(tmp_path / "generic_model.pkl", model_arrays)
    with pytest.raises(FlameError, match="no landmark embedding"):
        load_flame(path)
    _write_pickle(tmp_path / "flame_static_embedding.pkl",
                  {"lmk_face_idx": arrays["lmk_faces_idx"][17:],
                   "lmk_b_coords": arrays["lmk_bary_coords"][17:]})
    model = load_flame(path)
    lm = model.landmarks()
    assert np.isnan(lm[:17]).all() and np.isfinite(lm[17:]).all()


def test_landmark_embedding_npy_with_pickled_dict(tmp_path, arrays):
    """DECA's landmark_embedding.npy is an object array (a pickled dict): read through the
    restricted unpickler, preferring the full 68-point embedding."""
    model_arrays = {k: v for k, v in arrays.items() if not k.startswith("lmk_")}
    path = write_synthetic_flame(tmp_path / "flame2020.npz", model_arrays)
    embedding = {"full_lmk_faces_idx": arrays["lmk_faces_idx"][None],
                 "full_lmk_bary_coords": arrays["lmk_bary_coords"][None],
                 "static_lmk_faces_idx": arrays["lmk_faces_idx"][17:],
                 "static_lmk_bary_coords": arrays["lmk_bary_coords"][17:]}
    lmk = tmp_path / "elsewhere" / "landmark_embedding.npy"
    lmk.parent.mkdir()
    np.save(lmk, np.array(embedding, dtype=object), allow_pickle=True)
    model = load_flame(path, landmarks=lmk)
    assert np.isfinite(model.landmarks()).all()


@pytest.mark.parametrize("key", ["v_template", "shapedirs", "posedirs", "J_regressor", "weights",
                                 "kintree_table", "f"])
def test_missing_array(tmp_path, arrays, key):
    path = write_synthetic_flame(tmp_path / "m.npz", {k: v for k, v in arrays.items() if k != key})
    with pytest.raises(FlameError, match=f"no '{key}' array"):
        load_flame(path)


@pytest.mark.parametrize("key, bad, message", [
    ("v_template", lambda a: a[:, :2], "v_template"),
    ("shapedirs", lambda a: a[:, :, :320], r"300 \+ 100 or 50"),
    ("shapedirs", lambda a: a[:-1], "shapedirs"),
    ("posedirs", lambda a: a[:, :, :27], "posedirs"),
    ("J_regressor", lambda a: a[:4], "J_regressor"),
    ("weights", lambda a: a * 2, "sum to 1"),
    ("kintree_table", lambda a: a[:, ::-1], "joint tree"),
    ("f", lambda a: a + 10**6, "outside"),
    ("lmk_faces_idx", lambda a: a[:40], "68 or 51"),
    ("v_template", lambda a: np.where(a > 0, np.nan, a), "NaN"),
])
def test_wrong_shapes_and_values(tmp_path, arrays, key, bad, message):
    path = write_synthetic_flame(tmp_path / "m.npz", dict(arrays, **{key: bad(arrays[key])}))
    with pytest.raises(FlameError, match=message):
        load_flame(path)


def test_corrupt_files(tmp_path, arrays):
    good = write_synthetic_flame(tmp_path / "good.pkl", arrays).read_bytes()
    truncated = tmp_path / "truncated.pkl"
    truncated.write_bytes(good[: len(good) // 2])
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(os.urandom(4096))
    not_dict = _write_pickle(tmp_path / "list.pkl", [1, 2, 3])
    for path, message in ((truncated, "corrupt"), (garbage, "not a readable"),
                          (not_dict, "does not hold named arrays"),
                          (tmp_path / "absent.pkl", "not found")):
        with pytest.raises(FlameError, match=message):
            load_flame(path)
    other = tmp_path / "model.obj"
    other.write_text("v 0 0 0\n")
    with pytest.raises(FlameError, match="unknown FLAME file type"):
        load_flame(other)


def test_npz_member_with_object_array_goes_through_the_restricted_unpickler(tmp_path, arrays):
    path = write_synthetic_flame(tmp_path / "m.npz", arrays)
    with zipfile.ZipFile(path, "a") as zf, zf.open("evil.npy", "w") as fp:
        np.lib.format.write_array(fp, np.array([_Exploit(tmp_path / "pwned")], dtype=object),
                                  allow_pickle=True)
    with pytest.raises(FlameError, match="refused to load posix.system|refused to load os.system"):
        load_flame(path)
    assert not (tmp_path / "pwned").exists()


class _Exploit:
    """Unpickling this with pickle.load would run a shell command that creates `marker`."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


class _EvalExploit:
    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return eval, (f"open({str(self.marker)!r}, 'w').close()",)


@pytest.mark.parametrize("make", [
    lambda m: _Exploit(m),                                          # the classic os.system
    lambda m: {"v_template": np.zeros((4, 3)), "f": _Exploit(m)},   # hidden among real arrays
    lambda m: _EvalExploit(m),                                      # builtins.eval
])
def test_malicious_pickle_is_refused_and_not_executed(tmp_path, make):
    marker = tmp_path / "pwned"
    path = _write_pickle(tmp_path / "generic_model.pkl", make(marker))
    refused = r"refused to load (posix|os|__builtin__|builtins)\.(system|eval)"
    with pytest.raises(FlameError, match=refused):
        load_flame(path)
    assert not marker.exists()
    # The same pickle through plain pickle would have run the command: the test is meaningful.
    pickle.loads(path.read_bytes())
    assert marker.exists()


def test_reconstructor_cannot_build_arbitrary_classes():
    """copyreg._reconstructor is allowed (Python 2 pickles use it) only for talkface's inert
    stand-ins, never with a real class named by the file."""
    payload = (b"\x80\x02ccopyreg\n_reconstructor\ncnumpy\nndarray\ncnumpy\nndarray\n"
               b"K\x00\x85\x87R.")  # _reconstructor(numpy.ndarray, numpy.ndarray, (0,))
    with pytest.raises(FlameError, match="refused to rebuild 'ndarray'"):
        restricted_loads(payload)


@pytest.mark.parametrize("name, content, message", [
    ("model.obj", b"v 0 0 0\n", "unknown FLAME file type"),
    ("generic_model.pkl", b"\x04garbage", "corrupt or unsupported pickle"),
    ("generic_model.pkl", pickle.dumps(os.system, protocol=2), "refused to load"),
    ("flame2023.npz", b"PK\x03\x04 not a zip", "not a readable FLAME file"),
])
def test_errors_name_the_file_once(tmp_path, name, content, message):
    """The file name was printed twice for an unknown file type ('model.obj: model.obj: ...')."""
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(FlameError, match=message) as caught:
        load_flame(path)
    assert str(caught.value).count(name) == 1, str(caught.value)
