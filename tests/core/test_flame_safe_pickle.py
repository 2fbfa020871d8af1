"""The FLAME unpickler against hostile files: pickles crafted opcode by opcode that crashed or hung
the loader before (run in a fresh Python, so a segfault or a hang fails the test instead of the
run), a hypothesis round trip of everything a FLAME file may hold, random mutations, and a bounded
mutation fuzz of real synthetic FLAME files in a subprocess."""
from __future__ import annotations

import json
import os
import pickle
import resource
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from fixtures.flame_fuzz import py2_dumps
from talkface_core.flame.model import FlameError, load_flame
from talkface_core.flame.safe_pickle import MAX_DEPTH, MAX_VALUES, restricted_loads

REPO = Path(__file__).resolve().parents[2]
TESTS = REPO / "tests"
HANG_GUARD_S = 120   # not a timing assertion: a hang must fail instead of stalling the test run


def _limit_memory() -> None:
    # A regression that allocates without bound must fail here, not take the machine's memory.
    resource.setrlimit(resource.RLIMIT_AS, (6 << 30, 6 << 30))


def _python(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), str(TESTS)]),
               OPENBLAS_NUM_THREADS="1")   # BLAS thread buffers would count against the limit
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env,
                          cwd=TESTS, timeout=HANG_GUARD_S, preexec_fn=_limit_memory)


def _loads_in_fresh_python(tmp_path: Path, payload: bytes) -> str:
    """restricted_loads(payload) in a new process: 'refused: <message>' or 'loaded: <repr>'."""
    path = tmp_path / "payload.pkl"
    path.write_bytes(payload)
    code = ("import sys; from pathlib import Path\n"
            "from talkface_core.flame.safe_pickle import FlameError, restricted_loads\n"
            "try:\n    print('loaded:', repr(restricted_loads(Path(sys.argv[1]).read_bytes())))\n"
            "except FlameError as exc:\n    print('refused:', exc)\n")
    done = _python("-c", code, str(path))
    assert done.returncode == 0, f"crashed (rc {done.returncode}): {done.stderr[-2000:]}"
    return done.stdout.strip()


# -- pickles crafted opcode by opcode --------------------------------------------------------

def _dtype(type_string: bytes, flags: int, names: bytes = b"N") -> bytes:
    """numpy.dtype(type_string) + BUILD (3, '|', None, names, None, -1, -1, flags)."""
    return (b"cnumpy\ndtype\nU" + bytes([len(type_string)]) + type_string + b"\x85R"
            b"(K\x03U\x01|N" + names + b"NJ\xff\xff\xff\xffJ\xff\xff\xff\xffK" + bytes([flags])
            + b"tb")


def _one_element_array(dtype: bytes, data: bytes) -> bytes:
    """numpy.core.multiarray._reconstruct(ndarray, (0,), b'b') + BUILD (1, (1,), dtype, False,
    data), as numpy pickles an array."""
    return (b"\x80\x02cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\nK\x00\x85C\x01b\x87R"
            b"(K\x01K\x01\x85" + dtype + b"\x89C" + bytes([len(data)]) + data + b"tb.")


def _shared_nested_lists(levels: int) -> bytes:
    """L0 = [0]; Li = [Li-1, Li-1]: 9 bytes a level, 2**levels leaves when copied."""
    out = bytearray(b"\x80\x02]q\x00K\x00a")
    for i in range(1, levels + 1):
        out += b"0]q" + bytes([i]) + b"(h" + bytes([i - 1]) + b"h" + bytes([i - 1]) + b"e"
    return bytes(out + b".")


def _shared_tuple_key(levels: int) -> bytes:
    """{Tn: 1} with T0 = (0,), Ti = (Ti-1, Ti-1): hashing the key walks 2**levels tuples."""
    out = bytearray(b"\x80\x02}K\x00\x85q\x00")
    for i in range(1, levels + 1):
        out += b"0h" + bytes([i - 1]) + b"h" + bytes([i - 1]) + b"\x86q" + bytes([i])
    return bytes(out + b"K\x01s.")


def test_object_dtype_with_its_flags_cleared_is_refused_not_a_segfault(tmp_path):
    """The file's dtype state claims 'object' without numpy's object flags: numpy's own
    __setstate__ then copied the 8 bytes 'AAAAAAAA' in as an object pointer and segfaulted
    (rc -11 before). The flags are never taken from the file now, so the array is an object array
    whose data is not a list of objects: refused."""
    payload = _one_element_array(_dtype(b"O8", 0), b"AAAAAAAA")
    out = _loads_in_fresh_python(tmp_path, payload)
    assert out.startswith("refused:") and "object array data does not match" in out, out


def test_object_flags_on_a_number_type_change_nothing(tmp_path):
    """The opposite lie, float64 with the object flags set: the dtype is made from 'f8' alone."""
    payload = _one_element_array(_dtype(b"f8", 63), np.float64(2.5).tobytes())
    assert _loads_in_fresh_python(tmp_path, payload) == "loaded: array([2.5])"


def test_shared_nested_lists_are_refused_at_once(tmp_path):
    """447 bytes of shared nested lists made the old loader copy 2**49 lists (10.6 GB in 60 s).
    Deep ones are refused by depth; shallower ones whose copies would exceed the value bound by
    that bound."""
    deep = _loads_in_fresh_python(tmp_path, _shared_nested_lists(49))
    assert deep.startswith("refused:") and f"nesting deeper than {MAX_DEPTH}" in deep, deep
    wide = _loads_in_fresh_python(tmp_path, _shared_nested_lists(20))
    assert wide.startswith("refused:") and f"more than {MAX_VALUES} values" in wide, wide


def test_a_few_shared_lists_still_load():
    """Sharing is not refused by itself: 16 levels (2**16 leaves) load, shared as in the file."""
    value = restricted_loads(_shared_nested_lists(16))
    assert value[0] is value[1]
    for _ in range(16):
        value = value[0]
    assert value == [0]


def test_a_tuple_key_that_hashes_forever_is_refused(tmp_path):
    """pickle hashes a dict key as it reads it: a shared nested tuple as a key hung the old loader
    (2**60 tuples to hash). Keys may only be strings or numbers."""
    out = _loads_in_fresh_python(tmp_path, _shared_tuple_key(60))
    assert out.startswith("refused:") and "dictionary key of type tuple" in out, out


@pytest.mark.parametrize("payload, message", [
    (b"\x80\x02]q\x00h\x00a.", "structure that contains itself"),           # l = [l]
    (b"\x80\x04\x8f\x94(K\x01\x90.", "pickle opcode EMPTY_SET"),             # {1}
    (b"\x80\x02\x82\x01.", "pickle opcode EXT1"),                            # copyreg extension
    (b"(S'true'\nios\nsystem\n.", "pickle opcode INST"),                     # protocol 0 instance
    (b"\x80\x02cbuiltins\ngetattr\n.", "refused to load builtins.getattr"),
    (b"\x80\x02cnumpy.core.multiarray\nscalar\n" + _dtype(b"O8", 63) + b"K\x01\x86R.",
     "numpy scalar that is not a plain number"),
    (b"\x80\x02" + _dtype(b"V8", 0) + b".", "array type 'V8'"),
    (b"\x80\x02" + _dtype(b"f8", 0, names=b"(U\x01at") + b".", "structured or unusual dtype"),
    (b"\x80\x02" + _dtype(b"f8", 0) + b".", "numpy.dtype as a value"),
])
def test_what_a_flame_file_never_holds_is_refused_by_name(payload, message):
    with pytest.raises(FlameError, match=message):
        restricted_loads(payload)


def test_array_data_must_match_its_shape():
    good = pickle.dumps(np.arange(4.0), protocol=2)
    lie = good.replace(b"K\x04\x85", b"J\x00\x00\x00\x10\x85")   # shape (4,) -> (268435456,)
    assert lie != good
    with pytest.raises(FlameError, match="array of 268435456 elements"):
        restricted_loads(lie)
    short = good.replace(b"K\x04\x85", b"K\x05\x85")
    with pytest.raises(FlameError, match="array data is 32 bytes, 5 x float64 need 40"):
        restricted_loads(short)


# -- sparse matrices and chumpy --------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["csc", "csr"])
def test_sparse_matrices_become_dense_arrays(fmt):
    rng = np.random.default_rng(0)
    dense = np.where(rng.random((5, 40)) < 0.2, rng.normal(size=(5, 40)), 0.0)
    matrix = scipy.sparse.csc_matrix(dense) if fmt == "csc" else scipy.sparse.csr_matrix(dense)
    for data in (pickle.dumps(matrix, protocol=2), py2_dumps(matrix)):
        np.testing.assert_array_equal(restricted_loads(data), dense)


def test_corrupt_sparse_matrices_are_refused():
    matrix = scipy.sparse.csc_matrix(np.eye(3))
    matrix.indices[1] = 7    # a row outside the 3 x 3 matrix
    with pytest.raises(FlameError, match="corrupt sparse matrix"):
        restricted_loads(pickle.dumps(matrix, protocol=2))
    huge = scipy.sparse.csc_matrix((100_000, 100_000))   # empty, but 10**10 dense elements
    with pytest.raises(FlameError, match=r"sparse matrix of shape \(100000, 100000\)"):
        restricted_loads(pickle.dumps(huge, protocol=2))
    coo = scipy.sparse.coo_matrix(np.eye(3))
    with pytest.raises(FlameError, match="refused to load scipy.sparse"):
        restricted_loads(pickle.dumps(coo, protocol=2))


# -- properties ------------------------------------------------------------------------------

def _object_array(items: list) -> np.ndarray:
    out = np.empty(len(items), dtype=object)
    for i, item in enumerate(items):
        out[i] = item
    return out


_DTYPES = ("<f8", ">f8", "<f4", "<f2", "<i8", ">i4", "<i2", "|i1", "<u8", "<u4", "|u1", "|b1")
_ARRAYS = st.tuples(st.sampled_from(_DTYPES), st.booleans()).flatmap(
    lambda spec: hnp.arrays(np.dtype(spec[0]), hnp.array_shapes(min_dims=0, max_dims=3,
                                                                 min_side=0, max_side=4))
    .map(lambda a, transpose=spec[1]: a.T if transpose else a))   # .T: Fortran order
_LEAVES = (st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats()
           | st.text(max_size=6) | _ARRAYS
           | st.floats(width=32).map(np.float32) | st.integers(-2**31, 2**31 - 1).map(np.int32))
_VALUES = st.recursive(_LEAVES, lambda inner: (
    st.lists(inner, max_size=4) | st.tuples(inner, inner)
    | st.dictionaries(st.text(max_size=4) | st.integers(), inner, max_size=4)
    | st.lists(inner, min_size=1, max_size=3).map(_object_array)), max_leaves=10)
_PROTOCOLS = st.sampled_from([0, 1, 2, 3, 4, 5, "python 2"])


def _dumps(value: object, protocol: int | str) -> bytes:
    return py2_dumps(value) if protocol == "python 2" else pickle.dumps(value, protocol=protocol)


def _same(a: object, b: object) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, np.ndarray):
        if a.dtype != b.dtype or a.shape != b.shape:
            return False
        if a.dtype.hasobject:
            return all(_same(x, y) for x, y in zip(a.ravel(), b.ravel()))
        return np.array_equal(a, b, equal_nan=a.dtype.kind == "f")
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(map(_same, a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return a == b or (a != a and b != b)   # NaN equals NaN here


@settings(max_examples=300, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(value=_VALUES, protocol=_PROTOCOLS)
def test_everything_a_flame_file_may_hold_round_trips(value, protocol):
    assert _same(restricted_loads(_dumps(value, protocol)), value)


@settings(max_examples=400, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(value=_VALUES, protocol=_PROTOCOLS,
       edits=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)),
                      min_size=1, max_size=4))
def test_a_damaged_pickle_loads_or_raises_flame_error(value, protocol, edits):
    data = bytearray(_dumps(value, protocol))
    for where, byte in edits:
        data[int(where * len(data))] = byte
    try:
        restricted_loads(bytes(data))
    except FlameError:
        pass


def test_bounded_mutation_fuzz_of_synthetic_flame_files(tmp_path):
    """3000 mutated FLAME files of every kind users have (pickles of Python 2 and 3, protocols 0-5,
    chumpy and sparse contents, .npz, landmark .npy) and 5 of the full synthetic head, loaded in
    a subprocess: no crash, and every failure a FlameError."""
    done = _python("-m", "fixtures.flame_fuzz", "--seed", "15", "--cases", "3000",
                   "--full-cases", "5", "--out", str(tmp_path))
    last = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
    assert done.returncode == 0, (f"the loader crashed (rc {done.returncode}) at case {last!r}: "
                                  f"{done.stderr[-2000:]}")
    summary = json.loads(last)
    assert summary["cases"] == 3005 and summary["other"] == 0, summary["others"]
    assert summary["loaded"] > 0 and summary["refused"] > 1000


def test_a_real_synthetic_model_pickled_python_2_style_loads(tmp_path):
    """FLAME's own generic_model.pkl is a Python 2 pickle (str data, copy_reg): same arrays."""
    from fixtures.flame_synthetic import tiny_flame

    arrays = tiny_flame()
    path = tmp_path / "generic_model.pkl"
    path.write_bytes(py2_dumps(arrays))
    model = load_flame(path)
    np.testing.assert_array_equal(model.v_template, arrays["v_template"])
    np.testing.assert_array_equal(model.faces, arrays["f"])


@pytest.mark.parametrize("method", [99, 1])   # unknown; "shrunk" (which zipfile cannot read)
def test_npz_members_zipfile_cannot_read_are_flame_errors(tmp_path, method):
    """Found by the fuzz: zipfile raises NotImplementedError for compression it lacks."""
    from fixtures.flame_synthetic import tiny_flame, write_synthetic_flame

    path = write_synthetic_flame(tmp_path / "flame2023.npz", tiny_flame())
    data = bytearray(path.read_bytes())
    entry = data.index(b"PK\x01\x02")                     # the first central directory entry
    data[entry + 10:entry + 12] = method.to_bytes(2, "little")
    path.write_bytes(bytes(data))
    with pytest.raises(FlameError, match="flame2023.npz is not a readable FLAME file"):
        load_flame(path)


def test_a_pickle_of_too_many_operations_is_refused():
    """Time is bounded too: a list of more numbers than any FLAME file holds is refused."""
    from talkface_core.flame.safe_pickle import MAX_OPCODES

    with pytest.raises(FlameError, match=f"more than {MAX_OPCODES} operations"):
        restricted_loads(pickle.dumps(list(range(MAX_OPCODES)), protocol=2))
