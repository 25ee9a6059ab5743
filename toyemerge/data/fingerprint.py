"""A dataset's fingerprint: the sha256 of its arrays, part of the id of every run trained on it.

Two data sets in one format (the real MNIST and synthetic MNIST-format digits, say) must never
share run ids, so a run's id covers the content of the data it was trained on, not the folder it
was read from. Hashing takes a second or two for the larger sets, so the fingerprint of a prepared
file is cached under its path, size and modification time (`fingerprints.json` in the user cache
folder); a file that changes in any of them is hashed again.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

CACHE_ENV = "TOYEMERGE_CACHE"
_CACHE_FILE = "fingerprints.json"
_KEEP = 64  # cached fingerprints kept (the most recent), so test runs do not grow the file for ever


def arrays_fingerprint(arrays: dict[str, np.ndarray]) -> str:
    """sha256 over every array's name, dtype, shape and bytes, in name order."""
    digest = hashlib.sha256()
    for name in sorted(arrays):
        array = np.ascontiguousarray(arrays[name])
        digest.update(f"{name}|{array.dtype.str}|{array.shape}\n".encode())
        digest.update(memoryview(array).cast("B"))
    return f"sha256:{digest.hexdigest()}"


def cache_dir() -> Path:
    """$TOYEMERGE_CACHE, else $XDG_CACHE_HOME/toyemerge, else ~/.cache/toyemerge."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    return Path(os.environ.get("XDG_CACHE_HOME") or "~/.cache").expanduser() / "toyemerge"


def cached_fingerprint(prepared: Path, load: Callable[[], dict[str, np.ndarray]]) -> str:
    """The fingerprint of the arrays `load()` returns, cached under the prepared file's path, size and
    mtime. `load` may create `prepared` (a first conversion from raw files); nothing is cached when
    there is no prepared file (a read-only data root: the raw files are converted every time anyway)."""
    if prepared.is_file() and (hit := _read_cache().get(_key(prepared))):
        return hit
    fingerprint = arrays_fingerprint(load())
    if prepared.is_file():
        _write_cache(_key(prepared), fingerprint)
    return fingerprint


def _key(path: Path) -> str:
    stat = path.stat()
    return f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}"


def _read_cache() -> dict[str, str]:
    try:
        cache = json.loads((cache_dir() / _CACHE_FILE).read_text())
        return cache if isinstance(cache, dict) else {}
    except (OSError, ValueError):
        return {}  # no cache yet, or a damaged one: hash again


def _write_cache(key: str, fingerprint: str) -> None:
    """Add one entry; a cache that cannot be written only costs a second hash next time."""
    cache = {k: v for k, v in _read_cache().items() if k != key}
    cache[key] = fingerprint
    cache = dict(list(cache.items())[-_KEEP:])
    folder = cache_dir()
    tmp = folder / f".{_CACHE_FILE}.{os.getpid()}.tmp"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps(cache, indent=1))
        os.replace(tmp, folder / _CACHE_FILE)
    except OSError:
        tmp.unlink(missing_ok=True)
