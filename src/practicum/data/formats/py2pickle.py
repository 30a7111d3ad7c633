"""Pickles as Python 2 wrote them, and a loader that trusts none of them.

The CIFAR batches were pickled by Python 2 with protocol 2: ``str`` values are byte
strings (BINSTRING opcodes) and numpy arrays reference ``numpy.core.multiarray``.
Python 3's pickler cannot produce that (it wraps bytes in ``_codecs.encode`` calls and
names ``numpy._core``), so test files are written by the small emitter below.

Unpickling calls whatever globals a pickle names, so the loader resolves only the four
names a numpy array needs, to stand-ins that check their arguments, and refuses the rest.
"""

from __future__ import annotations

import io
import math
import pickle
import struct
import sys
from collections.abc import Callable
from functools import partial
from typing import Any, Literal

import numpy as np

from practicum.data.errors import FormatError
from practicum.data.formats.source import Origin

_BATCH = 1000  # items per APPENDS / SETITEMS, as Python's picklers do
_TUPLE_OPS = {1: pickle.TUPLE1, 2: pickle.TUPLE2, 3: pickle.TUPLE3}
_PLAIN_KINDS = "biuf"  # bool, signed, unsigned, float: no objects, no structures
_PLAIN_DTYPE_TAIL = (None, None, None, -1, -1, 0)  # no subarray, fields, sizes or flags
_MAX_DEPTH = 32
_BYTE_ORDERS: dict[object, Literal["|", "<", ">", "="]] = {
    **{order: order for order in ("|", "<", ">", "=")},
    **{order.encode(): order for order in ("|", "<", ">", "=")},
}


class _ArrayMarker:
    """Stands in for numpy.ndarray: a pickle may pass it to _reconstruct, never call it."""

    __slots__ = ()


class _DtypeStub:
    """Stands in for numpy.dtype while loading: a plain numeric type whose pickled state may
    set the byte order and nothing else (numpy's own __setstate__ is never reached)."""

    __slots__ = ("dtype",)

    def __init__(self, spec: object, align: object = 0, copy: object = 1) -> None:
        code = spec.decode("ascii", "replace") if isinstance(spec, bytes) else spec
        dtype = np.dtype(code) if isinstance(code, str) and len(code) <= 4 else None
        if dtype is None or dtype.kind not in _PLAIN_KINDS:
            raise pickle.UnpicklingError(f"dtype {spec!r} is not a plain numeric type")
        self.dtype = dtype

    def __setstate__(self, state: object) -> None:
        if not isinstance(state, tuple) or state[:1] != (3,) or state[2:] != _PLAIN_DTYPE_TAIL:
            raise pickle.UnpicklingError(f"unexpected dtype state {state!r:.80}")
        order = _BYTE_ORDERS.get(state[1])
        if order is None:
            raise pickle.UnpicklingError(f"unexpected byte order {state[1]!r:.20}")
        if self.dtype.itemsize > 1:
            self.dtype = self.dtype.newbyteorder(order)


class _ArrayStub:
    """Stands in for an ndarray while loading: its state is checked and copied into a fresh
    array with np.frombuffer, so numpy's own __setstate__ never sees hostile input."""

    __slots__ = ("array",)

    def __setstate__(self, state: object) -> None:
        if isinstance(state, tuple) and len(state) == 5 and state[0] == 1:
            state = state[1:]  # version 1; version 0 states have no version field
        if not isinstance(state, tuple) or len(state) != 4:
            raise pickle.UnpicklingError("unexpected ndarray state")
        shape, dtype, fortran, raw = state
        if not isinstance(shape, tuple) or not all(type(n) is int and n >= 0 for n in shape):
            raise pickle.UnpicklingError(f"bad array shape {shape!r:.80}")
        if not isinstance(dtype, _DtypeStub) or not isinstance(raw, bytes):
            raise pickle.UnpicklingError("ndarray state needs a dtype and raw bytes")
        expected = math.prod(shape) * dtype.dtype.itemsize
        if len(raw) != expected:
            raise pickle.UnpicklingError(
                f"array data holds {len(raw):,} bytes, shape needs {expected:,}"
            )
        flat = np.frombuffer(raw, dtype=dtype.dtype)
        native = flat.reshape(shape, order="F" if fortran else "C").astype(
            dtype.dtype.newbyteorder("=")
        )
        self.array = np.ascontiguousarray(native)


def _reconstruct(marker: _ArrayMarker, subtype: object, shape: object, _: object) -> _ArrayStub:
    """numpy's _reconstruct, limited to starting an empty plain array (BUILD then fills it)."""
    if subtype is not marker or shape != (0,):
        raise pickle.UnpicklingError("_reconstruct called with unexpected arguments")
    return _ArrayStub()


class _RestrictedUnpickler(pickle.Unpickler):
    """Resolves only the names a numpy array needs, to fresh stand-ins per load, so a pickle
    can neither call anything else nor reach (or BUILD onto) any shared object."""

    def __init__(self, data: bytes, origin: Origin) -> None:
        super().__init__(io.BytesIO(data), encoding="bytes")
        self.origin = origin
        marker = _ArrayMarker()
        reconstruct = partial(_reconstruct, marker)
        self.allowed: dict[tuple[str, str], object] = {
            ("numpy.core.multiarray", "_reconstruct"): reconstruct,
            ("numpy._core.multiarray", "_reconstruct"): reconstruct,
            ("numpy", "ndarray"): marker,
            ("numpy", "dtype"): _DtypeStub,
        }

    def find_class(self, module: str, name: str) -> Any:
        allowed = self.allowed.get((module, name))
        if allowed is None:
            raise self.origin.error(f"pickle references forbidden global {module}.{name}")
        return allowed

    def persistent_load(self, pid: Any) -> Any:
        raise self.origin.error("pickle uses persistent ids, which these files never do")


def load_untrusted(data: bytes, origin: Origin) -> object:
    """Unpickle bytes that may be hostile: builtins, and numpy arrays of plain numbers."""
    try:
        return _resolve(_RestrictedUnpickler(data, origin).load(), _MAX_DEPTH)
    except FormatError:
        raise
    except Exception as exc:  # hostile bytes can make the unpickler raise almost anything
        raise origin.error(f"corrupt pickle: {type(exc).__name__}: {exc}") from None


def _resolve(obj: object, depth: int) -> object:
    """Swap the stand-ins for the arrays and dtypes they built."""
    if depth == 0:
        raise pickle.UnpicklingError("nested too deeply (or a cycle)")
    if isinstance(obj, _ArrayStub):
        if not hasattr(obj, "array"):
            raise pickle.UnpicklingError("an array was never given its data")
        return obj.array
    if isinstance(obj, _DtypeStub):
        return obj.dtype
    if isinstance(obj, dict):
        return {_resolve(k, depth - 1): _resolve(v, depth - 1) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return type(obj)(_resolve(item, depth - 1) for item in obj)
    return obj


class _Py2Writer:
    """Protocol-2 opcodes for dicts, lists, tuples, str/bytes, ints, None and numpy arrays."""

    def __init__(self) -> None:
        self.out = io.BytesIO()
        self.memo = 0
        self.save_by_type: dict[type, Callable[[Any], None]] = {
            dict: self.save_dict,
            list: self.save_list,
            tuple: self.save_tuple,
            bytes: self.save_string,
            str: lambda text: self.save_string(text.encode("latin-1")),
            bool: lambda flag: self.write(pickle.NEWTRUE if flag else pickle.NEWFALSE),
            int: self.save_int,
            type(None): lambda _: self.write(pickle.NONE),
            np.ndarray: self.save_array,
        }

    def dump(self, obj: object) -> bytes:
        self.write(pickle.PROTO + b"\x02")
        self.save(obj)
        self.write(pickle.STOP)
        return self.out.getvalue()

    def write(self, data: bytes) -> None:
        self.out.write(data)

    def put(self) -> None:
        self.memo += 1
        if self.memo < 256:
            self.write(pickle.BINPUT + bytes([self.memo]))
        else:
            self.write(pickle.LONG_BINPUT + struct.pack("<I", self.memo))

    def save(self, obj: object) -> None:
        saver = self.save_by_type.get(type(obj))
        if saver is None:
            raise TypeError(f"cannot write {type(obj).__name__} as a Python 2 pickle")
        saver(obj)

    def save_int(self, value: int) -> None:
        if 0 <= value < 256:
            self.write(pickle.BININT1 + bytes([value]))
        elif 0 <= value < 65536:
            self.write(pickle.BININT2 + struct.pack("<H", value))
        else:
            self.write(pickle.BININT + struct.pack("<i", value))

    def save_string(self, data: bytes) -> None:
        if len(data) < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([len(data)]) + data)
        else:
            self.write(pickle.BINSTRING + struct.pack("<i", len(data)) + data)
        self.put()

    def save_global(self, module: str, name: str) -> None:
        self.write(pickle.GLOBAL + f"{module}\n{name}\n".encode("ascii"))
        self.put()

    def save_tuple(self, items: tuple[Any, ...]) -> None:
        if not items:
            self.write(pickle.EMPTY_TUPLE)
            return
        if len(items) > 3:
            self.write(pickle.MARK)
        for item in items:
            self.save(item)
        self.write(_TUPLE_OPS.get(len(items), pickle.TUPLE))
        self.put()

    def save_list(self, items: list[Any]) -> None:
        self.write(pickle.EMPTY_LIST)
        self.put()
        for start in range(0, len(items), _BATCH):
            self.write(pickle.MARK)
            for item in items[start : start + _BATCH]:
                self.save(item)
            self.write(pickle.APPENDS)

    def save_dict(self, mapping: dict[Any, Any]) -> None:
        self.write(pickle.EMPTY_DICT)
        self.put()
        pairs = list(mapping.items())
        for start in range(0, len(pairs), _BATCH):
            self.write(pickle.MARK)
            for key, value in pairs[start : start + _BATCH]:
                self.save(key)
                self.save(value)
            self.write(pickle.SETITEMS)

    def save_array(self, array: np.ndarray) -> None:
        """What numpy 1.x under Python 2 wrote: _reconstruct(ndarray, (0,), 'b'), then BUILD."""
        if array.dtype.kind not in _PLAIN_KINDS:
            raise TypeError(f"only plain numeric arrays are written, not {array.dtype}")
        self.save_global("numpy.core.multiarray", "_reconstruct")
        self.save_global("numpy", "ndarray")
        self.save_tuple((0,))
        self.save_string(b"b")
        self.write(pickle.TUPLE3)
        self.put()
        self.write(pickle.REDUCE)
        self.put()
        native = array.dtype.newbyteorder("=") if array.dtype.itemsize > 1 else array.dtype
        self.write(pickle.MARK)
        self.save_int(1)
        self.save_tuple(tuple(int(n) for n in array.shape))
        self.save_dtype(native)
        self.write(pickle.NEWFALSE)
        self.save_string(np.ascontiguousarray(array, dtype=native).tobytes())
        self.write(pickle.TUPLE)
        self.put()
        self.write(pickle.BUILD)

    def save_dtype(self, dtype: np.dtype[Any]) -> None:
        self.save_global("numpy", "dtype")
        self.save_tuple((f"{dtype.kind}{dtype.itemsize}", 0, 1))
        self.write(pickle.REDUCE)
        self.put()
        order = "|" if dtype.itemsize == 1 else "<" if sys.byteorder == "little" else ">"
        self.save_tuple((3, order, None, None, None, -1, -1, 0))
        self.write(pickle.BUILD)


def dumps_py2(obj: object) -> bytes:
    """Pickle plain data and numpy arrays exactly as Python 2's cPickle (protocol 2) did."""
    return _Py2Writer().dump(obj)
