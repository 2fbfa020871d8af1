"""Unpickle a FLAME model file without trusting it.

`pickle.Unpickler` calls whatever the file names, and even numpy's own reconstructors trust the
state they are handed: an object dtype whose flags are cleared in its pickled state makes numpy read
the file's bytes as object pointers (a segfault). So these pickles never reach `pickle` or numpy's
reconstructors. `restricted_loads` runs the opcode stream (decoded by `pickletools.genops`) on a
small stack machine that makes only lists, dicts, tuples, strings, numbers and inert *records* of
what the file asks for: an array, a dtype, a numpy scalar, a CSC/CSR sparse matrix, a chumpy object.
A second pass turns the records into values, checking each: arrays are views of the file's own bytes
(`np.frombuffer`) with a dtype made here from a checked type string; a sparse matrix is densified from
checked index arrays; a chumpy object gives its array `x`. Any other global, opcode or shape is
refused with a FlameError that names it.

Everything is bounded: opcodes (time), nesting depth, and the values and array elements a consumer
would walk if every shared reference were copied (a few hundred bytes of shared nested lists or
tuples must not become gigabytes). Shared references are converted once (memoised by identity);
a structure that contains itself is refused; dict keys may only be strings or numbers, so hashing a
key is never more than linear.
"""
from __future__ import annotations

import pickletools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

MAX_OPCODES = 500_000       # a FLAME pickle has a few hundred; faces as Python lists ~60 thousand
MAX_DEPTH = 32              # FLAME's deepest: dict > chumpy > state dict > array > object item
MAX_VALUES = 1_000_000      # Python values (lists, dicts, tuples, numbers, strings), copies counted
MAX_ELEMENTS = 1 << 26      # array elements of one file (512 MiB of float64; FLAME has 7 million)

# Plain numbers, and objects (landmark_embedding.npy is an object array holding a dict).
_TYPE_STRING = re.compile(r"([<>|=]?)(?:([biuf])(\d{1,2})|O(\d?))")
_SIZES = {"b": (1,), "i": (1, 2, 4, 8), "u": (1, 2, 4, 8), "f": (2, 4, 8)}
_BYTE_ORDERS = ("<", ">", "|", "=")


class FlameError(ValueError):
    """A FLAME model file that cannot be used, with a message that says why."""


def _refuse(what: str) -> FlameError:
    return FlameError(f"refused {what}: a FLAME model file only holds numpy arrays (this file "
                      "may be malicious, or not FLAME)")


def plain_dtype(text: object, byte_order: str = "") -> np.dtype:
    """The numpy dtype of a type string such as 'f8', '<i4', 'b1' or 'O', made here; anything
    else (structured, strings, dates, sub-arrays) is refused."""
    match = _TYPE_STRING.fullmatch(text) if isinstance(text, str) else None
    if match is None or (match[2] and int(match[3]) not in _SIZES[match[2]]) \
            or (match[4] or "") not in ("", "4", "8"):
        raise _refuse(f"array type {text!r}")
    if not match[2]:
        return np.dtype(object)
    order = byte_order or match[1]
    order = order if order in "<>" and order else "="
    return np.dtype(f"{order}{match[2]}{match[3]}")


class Budget:
    """Array elements allowed to one file (all its arrays, and all members of an .npz)."""

    def __init__(self, elements: int = MAX_ELEMENTS) -> None:
        self.left = elements

    def take(self, elements: int) -> None:
        self.left -= elements
        if self.left < 0:
            raise _refuse(f"arrays of more than {MAX_ELEMENTS} elements in all")


# -- what the file names ---------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class _Name:
    """A global that is only ever an argument (numpy.ndarray, object)."""
    name: str


@dataclass(frozen=True, eq=False)
class _Function:
    """A global the file may call (REDUCE): one of the functions below, never the real one."""
    name: str
    call: Callable[..., Any]


@dataclass(frozen=True, eq=False)
class _Class:
    """A class whose instances the file may create (NEWOBJ, copyreg._reconstructor)."""
    name: str
    make: Callable[[], _Record]


class _Record:
    """What the file asked to build, kept inert until `_Converter` checks it."""

    name = "object"
    state: Any = None

    def setstate(self, state: Any) -> None:   # the BUILD opcode
        self.state = state


class _Array(_Record):
    """numpy.core.multiarray._reconstruct(ndarray, ...) + BUILD (version, shape, dtype, fortran,
    data): how numpy pickles an array in protocols 0-4."""

    name = "numpy.ndarray"


class _BufferArray(_Record):
    """numpy.core.numeric._frombuffer(data, dtype, shape, order): protocol 5."""

    name = "numpy.ndarray"

    def __init__(self, data: Any, dtype: Any, shape: Any, order: Any) -> None:
        self.state = (1, shape, dtype, order == "F", data)
        if order not in ("C", "F"):
            raise _refuse(f"array order {order!r}")


class _Scalar(_Record):
    name = "numpy scalar"

    def __init__(self, dtype: Any, data: Any) -> None:
        self.dtype, self.data = dtype, data


class _Dtype(_Record):
    """numpy.dtype(type string, align, copy) + BUILD (version, byte order, ...)."""

    name = "numpy.dtype"

    def __init__(self, text: Any, _align: Any = False, _copy: Any = False) -> None:
        self.text = text
        self.dtype = plain_dtype(text)

    def setstate(self, state: Any) -> None:
        # (version, byte order, sub-array, names, fields, itemsize, alignment, flags[, metadata]):
        # only the byte order is taken; the flags are numpy's business, never the file's.
        if not (isinstance(state, tuple) and 7 <= len(state) <= 9 and state[1] in _BYTE_ORDERS
                and state[2] is None and state[3] is None and state[4] is None
                and (len(state) < 9 or state[8] in (None, {}))):
            raise _refuse(f"a structured or unusual dtype {self.text!r}")
        self.dtype = plain_dtype(self.text, state[1])


class _Chumpy(_Record):
    """chumpy.Ch: its pickled state holds the values as the array 'x'."""

    name = "chumpy object"


class _Sparse(_Record):
    name = "scipy sparse matrix"

    def __init__(self, fmt: str) -> None:
        self.format = fmt   # newer scipy does not pickle the format: it comes from the class name


_NDARRAY, _OBJECT = _Name("ndarray"), _Name("object")


def _describe(value: Any) -> str:
    return getattr(value, "name", type(value).__name__)


def _reconstruct(cls: Any, shape: Any, typecode: Any) -> _Array:
    if cls is not _NDARRAY:
        raise _refuse(f"an array of class {_describe(cls)!r}")
    return _Array()


def _reconstructor(cls: Any, base: Any, state: Any) -> _Record:
    """copyreg._reconstructor, how Python 2 pickled new-style objects: only for our records."""
    if not isinstance(cls, _Class) or base is not _OBJECT or state is not None:
        raise FlameError(f"refused to rebuild {_describe(cls)!r} from {_describe(base)!r}")
    return cls.make()


def _latin1_bytes(text: Any, encoding: Any = "latin1") -> bytes:
    """_codecs.encode as Python 3 protocol-2 pickles use it for bytes; only the latin1 case."""
    if encoding not in ("latin1", "latin-1") or not isinstance(text, str):
        raise _refuse(f"_codecs.encode with encoding {encoding!r}")
    return text.encode("latin1")


def _empty_bytes(*args: Any) -> bytes:
    """bytes(): how Python 3 writes b"" (an empty array's data) in protocols 0-2."""
    if args:
        raise _refuse("bytes() with arguments")
    return b""


def _globals() -> dict[tuple[str, str], Any]:
    found: dict[tuple[str, str], Any] = {
        ("numpy", "ndarray"): _NDARRAY, ("numpy", "dtype"): _Function("numpy.dtype", _Dtype),
        ("__builtin__", "object"): _OBJECT, ("builtins", "object"): _OBJECT,
        ("copy_reg", "_reconstructor"): _Function("copyreg._reconstructor", _reconstructor),
        ("copyreg", "_reconstructor"): _Function("copyreg._reconstructor", _reconstructor),
        ("_codecs", "encode"): _Function("_codecs.encode", _latin1_bytes),
        ("__builtin__", "bytes"): _Function("bytes", _empty_bytes),
        ("builtins", "bytes"): _Function("bytes", _empty_bytes)}
    # numpy 1.x writes numpy.core.*, numpy 2.x numpy._core.*: the same functions.
    for core in ("numpy.core", "numpy._core"):
        found[(f"{core}.multiarray", "_reconstruct")] = _Function("_reconstruct", _reconstruct)
        found[(f"{core}.multiarray", "scalar")] = _Function("scalar", _Scalar)
        found[(f"{core}.numeric", "_frombuffer")] = _Function("_frombuffer", _BufferArray)
    return found


_GLOBALS = _globals()


def _find(module: str, name: str) -> Any:
    found = _GLOBALS.get((module, name))
    if found is not None:
        return found
    if module == "chumpy" or module.startswith("chumpy."):
        return _Class(f"{module}.{name}", _Chumpy)
    if module.startswith("scipy.sparse") and name[:3] in ("csc", "csr") \
            and name.endswith(("_matrix", "_array")):
        return _Class(name, lambda: _Sparse(name[:3]))
    raise FlameError(f"refused to load {module}.{name} from the pickle: a FLAME model file only "
                     "holds numpy arrays (this file may be malicious, or not FLAME)")


# -- the stack machine -----------------------------------------------------------------------

_VALUE_OPCODES = frozenset((
    "INT", "BININT", "BININT1", "BININT2", "LONG", "LONG1", "LONG4", "FLOAT", "BINFLOAT",
    "STRING", "BINSTRING", "SHORT_BINSTRING", "BINBYTES", "SHORT_BINBYTES", "BINBYTES8",
    "UNICODE", "SHORT_BINUNICODE", "BINUNICODE", "BINUNICODE8"))   # genops decodes the value
_CONSTANTS = {"NONE": None, "NEWTRUE": True, "NEWFALSE": False, "EMPTY_TUPLE": ()}
_KEY_TYPES = (str, int, float, bytes, type(None))



class _Machine:
    """The pickle virtual machine (pickletools documents each opcode), reduced to what FLAME files
    use. Python 2 strings come out as latin1 text, as with `pickle.Unpickler(encoding="latin1")`."""

    def __init__(self) -> None:
        self.stack: list[Any] = []
        self.marks: list[list[Any]] = []
        self.memo: dict[int, Any] = {}

    def run(self, data: bytes) -> Any:
        for count, (opcode, arg, _) in enumerate(pickletools.genops(data), 1):
            if count > MAX_OPCODES:
                raise _refuse(f"a pickle of more than {MAX_OPCODES} operations")
            name = opcode.name
            if name in _VALUE_OPCODES:
                self.stack.append(arg)
            elif name in _CONSTANTS:
                self.stack.append(_CONSTANTS[name])
            elif name == "STOP":
                return self.stack.pop()
            elif name not in ("PROTO", "FRAME"):   # genops reads through frames by itself
                step = getattr(self, f"op_{name.lower()}", None)
                if step is None:
                    raise _refuse(f"pickle opcode {name}")
                step(arg)
        raise ValueError("pickle ended without STOP")   # genops raises first; kept for clarity

    # helpers

    def _take(self, n: int) -> list[Any]:
        if len(self.stack) < n:
            raise ValueError("stack underflow")
        items = self.stack[len(self.stack) - n:]
        del self.stack[len(self.stack) - n:]
        return items

    def _take_mark(self) -> list[Any]:
        items, self.stack = self.stack, self.marks.pop()
        return items

    def _target(self, kind: type) -> Any:
        target = self.stack[-1]
        if not isinstance(target, kind):
            raise ValueError(f"{kind.__name__} operation on a {_describe(target)}")
        return target

    def _fill(self, items: list[Any]) -> None:
        target = self._target(dict)
        if len(items) % 2:
            raise ValueError("odd number of dict items")
        for key, value in zip(items[::2], items[1::2]):
            if not isinstance(key, _KEY_TYPES):
                raise _refuse(f"a dictionary key of type {_describe(key)}")
            target[key] = value

    def _create(self, cls: Any, args: Any, kwargs: Any) -> None:
        if not isinstance(cls, _Class):
            raise FlameError(f"refused to rebuild {_describe(cls)!r}")
        if args != () or kwargs != {}:
            raise ValueError(f"{cls.name} created with arguments")
        self.stack.append(cls.make())

    # opcodes

    def op_mark(self, _: Any) -> None:
        self.marks.append(self.stack)
        self.stack = []

    def op_pop(self, _: Any) -> None:
        if self.stack:
            self.stack.pop()
        else:
            self._take_mark()

    def op_pop_mark(self, _: Any) -> None:
        self._take_mark()

    def op_dup(self, _: Any) -> None:
        self.stack.append(self.stack[-1])

    def op_put(self, index: int) -> None:
        self.memo[index] = self.stack[-1]

    op_binput = op_long_binput = op_put

    def op_memoize(self, _: Any) -> None:
        self.memo[len(self.memo)] = self.stack[-1]

    def op_get(self, index: int) -> None:
        self.stack.append(self.memo[index])

    op_binget = op_long_binget = op_get

    def op_bytearray8(self, data: bytearray) -> None:
        self.stack.append(bytes(data))

    def op_empty_list(self, _: Any) -> None:
        self.stack.append([])

    def op_empty_dict(self, _: Any) -> None:
        self.stack.append({})

    def op_list(self, _: Any) -> None:
        items = self._take_mark()   # first: it puts back the stack below the mark
        self.stack.append(items)

    def op_tuple(self, _: Any) -> None:
        items = self._take_mark()
        self.stack.append(tuple(items))

    def op_tuple1(self, _: Any) -> None:
        self.stack.append(tuple(self._take(1)))

    def op_tuple2(self, _: Any) -> None:
        self.stack.append(tuple(self._take(2)))

    def op_tuple3(self, _: Any) -> None:
        self.stack.append(tuple(self._take(3)))

    def op_dict(self, _: Any) -> None:
        items = self._take_mark()
        self.stack.append({})
        self._fill(items)

    def op_append(self, _: Any) -> None:
        value = self.stack.pop()
        self._target(list).append(value)

    def op_appends(self, _: Any) -> None:
        items = self._take_mark()
        self._target(list).extend(items)

    def op_setitem(self, _: Any) -> None:
        self._fill(self._take(2))

    def op_setitems(self, _: Any) -> None:
        self._fill(self._take_mark())

    def op_global(self, arg: str) -> None:
        module, _, name = arg.partition(" ")
        self.stack.append(_find(module, name))

    def op_stack_global(self, _: Any) -> None:
        module, name = self._take(2)
        if not (isinstance(module, str) and isinstance(name, str)):
            raise ValueError("STACK_GLOBAL needs two strings")
        self.stack.append(_find(module, name))

    def op_reduce(self, _: Any) -> None:
        function, args = self._take(2)
        if not isinstance(function, _Function):
            raise _refuse(f"a call of {_describe(function)}")
        if not isinstance(args, tuple):
            raise ValueError("REDUCE arguments are not a tuple")
        self.stack.append(function.call(*args))

    def op_build(self, _: Any) -> None:
        state = self.stack.pop()
        target = self.stack[-1]
        if not isinstance(target, _Record):
            raise _refuse(f"setting the state of a {_describe(target)}")
        target.setstate(state)

    def op_newobj(self, _: Any) -> None:
        self._create(*self._take(2), {})

    def op_newobj_ex(self, _: Any) -> None:
        self._create(*self._take(3))

    def op_persid(self, _: Any) -> None:
        raise FlameError("refused a pickle with persistent references: not a FLAME model file")

    op_binpersid = op_persid


# -- records -> values -----------------------------------------------------------------------

_Converted = tuple[Any, int, int]   # (value, Python values, array elements), copies counted


def _natural(value: Any) -> bool:
    """A size numpy could hold (products of a few of them stay cheap to compute)."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 1 << 63


class _Converter:
    """Turns the machine's result into plain values, checking every record. Shared references are
    converted once; what they would cost a consumer that copies them is still counted."""

    def __init__(self) -> None:
        self.done: dict[int, _Converted] = {}
        self.active: set[int] = set()

    def convert(self, obj: Any, depth: int = 0) -> _Converted:
        if obj is None or isinstance(obj, (str, bytes, int, float)):
            return obj, 1, 0
        key = id(obj)   # every object stays alive in the machine's result: ids are stable
        if key in self.done:
            return self.done[key]
        if key in self.active:
            raise _refuse("a structure that contains itself")
        if depth >= MAX_DEPTH:
            raise _refuse(f"nesting deeper than {MAX_DEPTH} levels")
        self.active.add(key)
        done = self._convert(obj, depth + 1)
        self.active.discard(key)
        if done[1] > MAX_VALUES:
            raise _refuse(f"more than {MAX_VALUES} values (shared references counted as copies)")
        if done[2] > MAX_ELEMENTS:
            raise _refuse(f"arrays of more than {MAX_ELEMENTS} elements "
                          "(shared references counted as copies)")
        self.done[key] = done
        return done

    def _items(self, items: Any, depth: int) -> tuple[list[Any], int, int]:
        out, values, elements = [], 1, 0
        for item in items:
            value, n, e = self.convert(item, depth)
            out.append(value)
            values, elements = values + n, elements + e
            if values > MAX_VALUES or elements > MAX_ELEMENTS:   # refuse before walking on
                break
        return out, values, elements

    def _convert(self, obj: Any, depth: int) -> _Converted:
        if isinstance(obj, (list, tuple)):
            items, values, elements = self._items(obj, depth)
            return (items if isinstance(obj, list) else tuple(items)), values, elements
        if isinstance(obj, dict):
            items, values, elements = self._items(obj.values(), depth)
            return dict(zip(obj.keys(), items)), values + len(obj), elements
        if isinstance(obj, (_Array, _BufferArray)):
            return self._array(obj.state, depth)
        if isinstance(obj, _Scalar):
            return _scalar(obj), 1, 1
        if isinstance(obj, _Chumpy):
            x = obj.state.get("x") if isinstance(obj.state, dict) else None
            value = self.convert(x, depth) if isinstance(x, (_Array, _BufferArray)) else None
            if value is None or value[0].dtype.hasobject:
                raise FlameError("a chumpy object in the file holds no stored array ('x'); re-save "
                                 "the model with numpy arrays")
            return value
        if isinstance(obj, _Sparse):
            return self._sparse(obj, depth)
        raise _refuse(f"{_describe(obj)} as a value")

    def _array(self, state: Any, depth: int) -> _Converted:
        # (1, shape, dtype, is_fortran, data), or without the version (numpy before 1.0)
        if not isinstance(state, tuple) or len(state) not in (4, 5) or state[:-4] not in ((), (1,)):
            raise _refuse("an array without its shape, type and data")
        shape, dtype, fortran, data = state[-4:]
        if not (isinstance(shape, tuple) and len(shape) <= 32 and all(map(_natural, shape))):
            raise _refuse(f"array shape {shape!r}")
        count = int(np.prod(shape, dtype=object))
        if count > MAX_ELEMENTS:
            raise _refuse(f"an array of {count} elements (at most {MAX_ELEMENTS})")
        if not isinstance(dtype, _Dtype) or fortran not in (True, False):
            raise _refuse("an array without a plain dtype")
        order = "F" if fortran else "C"
        if dtype.dtype.hasobject:
            if not isinstance(data, list) or len(data) != count:
                raise ValueError(f"object array data does not match its shape {shape}")
            items, values, elements = self._items(data, depth)
            out = np.empty(count, dtype=object)
            for i, item in enumerate(items):   # one by one: a list item must not be broadcast
                out[i] = item
            return out.reshape(shape, order=order), values, elements + count
        return _view(data, dtype.dtype, count).reshape(shape, order=order), 1, count

    def _sparse(self, record: _Sparse, depth: int) -> _Converted:
        """A CSC/CSR matrix as a dense float64 array (FLAME's J_regressor is 5 x V)."""
        state = record.state if isinstance(record.state, dict) else {}
        shape = state.get("_shape", state.get("shape"))
        fmt = state.get("format") if isinstance(state.get("format"), str) else record.format
        parts = [self.convert(state.get(k), depth)[0] for k in ("data", "indices", "indptr")]
        if fmt not in ("csc", "csr") or not (isinstance(shape, tuple) and len(shape) == 2
                                             and all(map(_natural, shape))):
            raise _refuse(f"a sparse matrix of format {fmt!r} and shape {shape!r}")
        if not all(isinstance(a, np.ndarray) and a.ndim == 1 for a in parts) \
                or parts[0].dtype.kind not in "biuf" \
                or parts[1].dtype.kind not in "iu" or parts[2].dtype.kind not in "iu":
            raise FlameError("corrupt sparse matrix in the file (its arrays are missing or wrong)")
        rows, cols = shape
        if rows * cols > MAX_ELEMENTS:
            raise _refuse(f"a sparse matrix of shape {shape} (at most {MAX_ELEMENTS} elements)")
        data, indices, indptr = parts[0], parts[1].astype(np.int64), parts[2].astype(np.int64)
        major, minor = (cols, rows) if fmt == "csc" else (rows, cols)
        nnz = int(indptr[-1]) if len(indptr) else -1
        if len(indptr) != major + 1 or indptr[0] != 0 or (np.diff(indptr) < 0).any() \
                or nnz > min(len(indices), len(data)) \
                or (nnz and (indices[:nnz].min() < 0 or indices[:nnz].max() >= minor)):
            raise FlameError("corrupt sparse matrix in the file")
        out = np.zeros((rows, cols), dtype=np.float64)
        outer = np.repeat(np.arange(major), np.diff(indptr))
        at = (indices[:nnz], outer) if fmt == "csc" else (outer, indices[:nnz])
        np.add.at(out, at, data[:nnz])   # scipy sums duplicate entries too
        return out, 1, rows * cols


def _view(data: Any, dtype: np.dtype, count: int) -> np.ndarray:
    """`count` numbers of `dtype` read from the file's bytes (a Python 2 str arrives as latin1
    text: its code points are the bytes)."""
    if isinstance(data, str):
        data = data.encode("latin1")
    if not isinstance(data, bytes) or len(data) != count * dtype.itemsize:
        size = len(data) if isinstance(data, bytes) else type(data).__name__
        raise ValueError(f"array data is {size} bytes, {count} x {dtype} need "
                         f"{count * dtype.itemsize}")
    return np.frombuffer(data, dtype=dtype, count=count)


def _scalar(record: _Scalar) -> Any:
    if not isinstance(record.dtype, _Dtype) or record.dtype.dtype.hasobject:
        raise _refuse("a numpy scalar that is not a plain number")
    return _view(record.data, record.dtype.dtype, 1)[0]


def restricted_loads(data: bytes, budget: Budget | None = None) -> Any:
    """The value of a FLAME pickle, built as described above; FlameError for anything else.
    `budget` is shared by the pickles and arrays of one file (an .npz's members)."""
    try:
        root = _Machine().run(data)
        value, _, elements = _Converter().convert(root)
    except FlameError:
        raise
    except Exception as exc:  # noqa: BLE001 - any failure of a corrupt pickle: one clear error
        raise FlameError(f"corrupt or unsupported pickle ({type(exc).__name__}: {exc})") from None
    (budget or Budget()).take(elements)
    return value
