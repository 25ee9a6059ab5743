"""CIFAR-100: the prepared cifar100.npz under the data root; else the official "python version"
(`cifar-100-python/` folder or `cifar-100-python.tar.gz`), MD5-checked; else a download; else one
clear error.

Arrays (docs/DESIGN.md): x_train (50000, 32, 32, 3) uint8 HWC RGB, y_train and
y_train_coarse (50000,) int64, x_test (10000, 32, 32, 3), y_test, y_test_coarse (10000,) int64,
fine_label_names (100,) and coarse_label_names (20,) str, in the original order.

The official files are pickles. A pickle can run any code it names, so they are read with a
restricted unpickler that admits only what those files hold: dicts, lists, bytes, ints and uint8
numpy arrays. Anything else is refused before it is built.
"""

from __future__ import annotations

import hashlib
import io
import pickle
import tarfile
from pathlib import Path

import numpy as np

from toyemerge.data.prepared import BadDataError, check_labelled_images, load_or_prepare, load_prepared
from toyemerge.errors import ToyemergeError

FILENAME = "cifar100.npz"
SCHEMA = {"x_train": ("uint8", 4), "y_train": ("int64", 1), "y_train_coarse": ("int64", 1),
          "x_test": ("uint8", 4), "y_test": ("int64", 1), "y_test_coarse": ("int64", 1)}
FOLDER = "cifar-100-python"
ARCHIVE = "cifar-100-python.tar.gz"
URL = "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"
# Official MD5s (the same as torchvision's CIFAR100 class).
ARCHIVE_MD5 = "eb9058c3a382ffc7106e4002c42a8d85"
MEMBER_MD5 = {"train": "16019d7e3df5f24257cddd939b257f8d", "test": "f0ef6b0ae62326f3e7ffdfab6717acfc",
              "meta": "7973b15100ade9c7d40fb424638fde48"}
SIDE, CHANNELS, N_FINE, N_COARSE = 32, 3, 100, 20


class ChecksumError(ToyemergeError, ValueError):
    """A CIFAR-100 file is not the official one: its MD5 differs from the published value."""


class UnsafePickleError(ToyemergeError, pickle.UnpicklingError):
    """A pickle names an object that the official CIFAR-100 files never contain; it was not built."""


def md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def check_md5(data: bytes, expected: str, name: str) -> None:
    got = md5(data)
    if got != expected:
        raise ChecksumError(f"{name}: MD5 {got} differs from the official {expected}; the file is corrupt or "
                            f"not the official CIFAR-100 (re-download it, or delete it).")


def _uint8_dtype(spec, align=False, copy=False) -> np.dtype:
    """numpy.dtype as the unpickler may call it: only the uint8 of the image arrays."""
    if isinstance(spec, bytes):
        spec = spec.decode("ascii")
    if not isinstance(spec, str) or np.dtype(spec) != np.uint8:
        raise UnsafePickleError(f"refused numpy dtype {spec!r}: CIFAR-100 arrays are uint8")
    return np.dtype(spec, align, copy)


def _reconstruct_ndarray(cls, shape, dtype_code):
    """numpy's ndarray pickle constructor, only for plain ndarrays (never a subclass)."""
    if cls is not np.ndarray:
        raise UnsafePickleError(f"refused array class {cls!r}")
    return np.ndarray.__new__(np.ndarray, shape, "u1")


# The only globals the official files name (written by Python 2's numpy as numpy.core; numpy 2
# calls the same module numpy._core).
_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"): _reconstruct_ndarray,
    ("numpy._core.multiarray", "_reconstruct"): _reconstruct_ndarray,
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): _uint8_dtype,
}


class RestrictedUnpickler(pickle.Unpickler):
    """Builds dicts, lists, tuples, bytes/str, numbers and uint8 ndarrays; refuses every other global."""

    def find_class(self, module: str, name: str):
        try:
            return _ALLOWED[(module, name)]
        except KeyError:
            raise UnsafePickleError(f"refused global {module}.{name}: not part of the CIFAR-100 format") from None


def read_pickle(data: bytes) -> dict:
    """One official CIFAR-100 pickle (Python 2, protocol 2; any protocol is read) → dict with str keys."""
    obj = RestrictedUnpickler(io.BytesIO(data), encoding="bytes").load()
    if not isinstance(obj, dict):
        raise BadDataError(f"a CIFAR-100 pickle holds a dict, this one a {type(obj).__name__}")
    return {k.decode("latin1") if isinstance(k, bytes) else k: v for k, v in obj.items()}


def _split(batch: dict, name: str) -> dict[str, np.ndarray]:
    for key in ("data", "fine_labels", "coarse_labels"):
        if key not in batch:
            raise BadDataError(f"CIFAR-100 '{name}' has no '{key}' entry")
    data = batch["data"]
    if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2 \
            or data.shape[1] != CHANNELS * SIDE * SIDE:
        raise BadDataError(f"CIFAR-100 '{name}': data must be uint8 (N, 3072), got {getattr(data, 'shape', data)!r}")
    fine = np.asarray(batch["fine_labels"], dtype=np.int64)
    coarse = np.asarray(batch["coarse_labels"], dtype=np.int64)
    if not len(data) == len(fine) == len(coarse):
        raise BadDataError(f"CIFAR-100 '{name}': {len(data)} images, {len(fine)} fine and {len(coarse)} coarse labels")
    if fine.size and (fine.min() < 0 or fine.max() >= N_FINE or coarse.min() < 0 or coarse.max() >= N_COARSE):
        raise BadDataError(f"CIFAR-100 '{name}': labels out of range")
    # Each row is 1024 red, 1024 green, then 1024 blue values, each a row-major 32×32 plane.
    x = data.reshape(-1, CHANNELS, SIDE, SIDE).transpose(0, 2, 3, 1)
    return {"x": np.ascontiguousarray(x), "y": fine, "y_coarse": coarse}


def _names(values) -> np.ndarray:
    return np.array([v.decode("latin1") if isinstance(v, bytes) else str(v) for v in values])


def convert_official(members: dict[str, bytes], verify_md5: bool = True) -> dict[str, np.ndarray]:
    """The three official pickles (`train`, `test`, `meta`, as bytes) → the prepared arrays."""
    if verify_md5:
        for name, data in members.items():
            check_md5(data, MEMBER_MD5[name], f"{FOLDER}/{name}")
    train, test = _split(read_pickle(members["train"]), "train"), _split(read_pickle(members["test"]), "test")
    meta = read_pickle(members["meta"])
    return {"x_train": train["x"], "y_train": train["y"], "y_train_coarse": train["y_coarse"],
            "x_test": test["x"], "y_test": test["y"], "y_test_coarse": test["y_coarse"],
            "fine_label_names": _names(meta["fine_label_names"]),
            "coarse_label_names": _names(meta["coarse_label_names"])}


def read_folder(folder: Path) -> dict[str, bytes]:
    return {name: (folder / name).read_bytes() for name in MEMBER_MD5}


def read_archive(path: Path, verify_md5: bool = True) -> dict[str, bytes]:
    """The three pickles of the official .tar.gz, read in memory (nothing is extracted to disk)."""
    raw = path.read_bytes()
    if verify_md5:
        check_md5(raw, ARCHIVE_MD5, path.name)
    members = {}
    with tarfile.open(fileobj=io.BytesIO(raw), mode="r:gz") as tar:
        for name in MEMBER_MD5:
            member = tar.getmember(f"{FOLDER}/{name}")
            if not member.isfile():
                raise BadDataError(f"{path}: {member.name} is not a regular file")
            members[name] = tar.extractfile(member).read()
    return members


def find_official(root: Path) -> Path | None:
    """The official folder (with all three pickles) or archive under `root`, folder first."""
    folder = root / FOLDER
    if all((folder / name).is_file() for name in MEMBER_MD5):
        return folder
    return root / ARCHIVE if (root / ARCHIVE).is_file() else None


def download(root: Path) -> Path:
    """Fetch the official archive with torchvision's MD5-checked downloader (needs internet)."""
    from torchvision.datasets.utils import download_url  # imported here: only the download needs it

    download_url(URL, str(root), ARCHIVE, ARCHIVE_MD5)
    return root / ARCHIVE


def load_cifar100(root: Path, allow_download: bool = True, verify_md5: bool = True) -> dict[str, np.ndarray]:
    """Load CIFAR-100 as numpy arrays, preparing cifar100.npz from the official files on first use.

    `verify_md5=False` accepts pickles in the official format that are not the official files
    (the synthetic data of the tests); the restricted unpickler is used either way.
    """
    def convert(source: Path) -> dict[str, np.ndarray]:
        members = read_folder(source) if source.is_dir() else read_archive(source, verify_md5)
        return convert_official(members, verify_md5)

    def load(path: Path) -> dict[str, np.ndarray]:
        arrays = load_prepared(path, SCHEMA)
        labels = {"y_{split}": N_FINE, "y_{split}_coarse": N_COARSE}
        return check_labelled_images(str(path), arrays, (SIDE, SIDE, CHANNELS), labels)

    arrays = load_or_prepare(root, FILENAME, load, find_official, download, convert, _RAW_HINT, allow_download)
    return {name: arrays[name] for name in SCHEMA}


_RAW_HINT = (
    f"put the official CIFAR-100 python version there ({ARCHIVE}, MD5 {ARCHIVE_MD5}, or its extracted "
    f"{FOLDER}/ folder) from {URL}, or run once with internet access"
)
