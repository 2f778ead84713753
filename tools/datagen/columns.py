"""Building Arrow columns from numpy arrays without per-row Python work."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

TS = pa.timestamp("us")


def ts(values: np.ndarray, null: np.ndarray | None = None) -> pa.Array:
    """Timestamp column from int64 microseconds; `null` marks missing values."""
    return pa.array(np.asarray(values, dtype=np.int64), type=TS, mask=null)


def ints(values: np.ndarray, null: np.ndarray | None = None, type=pa.int64()) -> pa.Array:
    return pa.array(np.asarray(values).astype(type.to_pandas_dtype(), copy=False), type=type, mask=null)


def dict_strings(codes: np.ndarray, values, null: np.ndarray | None = None) -> pa.Array:
    """A low-cardinality string column as a dictionary array (decoded when read back)."""
    dictionary = values if isinstance(values, pa.Array) else pa.array(list(values), type=pa.string())
    return pa.DictionaryArray.from_arrays(pa.array(np.asarray(codes, dtype=np.int32), mask=null), dictionary)


def take(values, codes: np.ndarray, null: np.ndarray | None = None) -> pa.Array:
    """Plain string column: values[codes]."""
    dictionary = values if isinstance(values, pa.Array) else pa.array(list(values), type=pa.string())
    return dictionary.take(pa.array(np.asarray(codes, dtype=np.int32), mask=null))


def concat(*parts, null: np.ndarray | None = None) -> pa.Array:
    """Element-wise string concatenation of arrays and literal strings."""
    out = pc.binary_join_element_wise(*[pa.scalar(p) if isinstance(p, str) else p for p in parts], "")
    if null is not None:
        out = pc.if_else(pa.array(null), pa.scalar(None, pa.string()), out)
    return out


def digits(values: np.ndarray, width: int) -> pa.Array:
    """Zero-padded decimal strings of non-negative integers."""
    return pc.utf8_lpad(pc.cast(pa.array(np.asarray(values, dtype=np.int64)), pa.string()), width, "0")


def fixed_width(chars: np.ndarray) -> pa.Array:
    """Strings from an (n, k) uint8 matrix of ASCII codes, one row per string."""
    n, k = chars.shape
    offsets = np.arange(n + 1, dtype=np.int32) * k
    data = np.ascontiguousarray(chars, dtype=np.uint8).ravel()
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(data))


_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
_UPPER = np.frombuffer(b"ABCDEFGHJKLMNPRSTUVWXYZ", dtype=np.uint8)


def hex16(values: np.ndarray) -> pa.Array:
    """16-character lower-case hex strings of uint64 values."""
    v = np.asarray(values, dtype=np.uint64)
    shifts = np.arange(60, -1, -4, dtype=np.uint64)
    nibbles = (v[:, None] >> shifts[None, :]) & np.uint64(15)
    return fixed_width(_HEX[nibbles.astype(np.intp)])


def letters(rng: np.random.Generator, n: int, k: int) -> pa.Array:
    """Random upper-case letter strings of length k (postcode-style letters)."""
    return fixed_width(_UPPER[rng.integers(0, len(_UPPER), size=(n, k))])


def choose(mask: np.ndarray, if_true: pa.Array, if_false: pa.Array) -> pa.Array:
    return pc.if_else(pa.array(mask), if_true, if_false)
