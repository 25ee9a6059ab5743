"""Reader for the IDX format of the original MNIST files (LeCun's "THE IDX FILE FORMAT").

Header: two zero bytes, a type code (0x08 = unsigned byte), the number of dimensions n, then n
big-endian uint32 sizes; the data follow in C order. Files may be gzip-compressed.
"""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import numpy as np

from toyemerge.data.prepared import BadDataError

_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


FIX = "replace it with an intact copy of the original file, or delete it"


def read_idx(path: str | Path) -> np.ndarray:
    path = Path(path)
    try:
        with (gzip.open if path.suffix == ".gz" else open)(path, "rb") as f:
            raw = f.read()
    except (EOFError, zlib.error, gzip.BadGzipFile) as e:
        raise BadDataError(f"{path} is truncated or not gzip data ({type(e).__name__}: {e}); {FIX}.") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _TYPES:
        raise BadDataError(f"{path} is not an IDX file (bad magic number {raw[:4].hex()}); {FIX}.")
    dtype, ndim = np.dtype(_TYPES[raw[2]]), raw[3]
    shape = tuple(int(s) for s in np.frombuffer(raw, ">u4", count=ndim, offset=4))
    offset = 4 + 4 * ndim
    expected = offset + dtype.itemsize * int(np.prod(shape))
    if len(raw) != expected:
        raise BadDataError(f"{path}: the IDX header says {expected} bytes, the file has {len(raw)}; {FIX}.")
    return np.frombuffer(raw, dtype, offset=offset).reshape(shape).astype(dtype.newbyteorder("="))


def write_idx(path: str | Path, array: np.ndarray) -> None:
    """Write a uint8 array as an IDX file (gzip-compressed when the name ends in .gz)."""
    path = Path(path)
    header = bytes([0, 0, 0x08, array.ndim]) + np.asarray(array.shape, ">u4").tobytes()
    data = header + np.ascontiguousarray(array, dtype=np.uint8).tobytes()
    path.write_bytes(gzip.compress(data, mtime=0) if path.suffix == ".gz" else data)
