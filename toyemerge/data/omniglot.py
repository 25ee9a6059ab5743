"""Omniglot (Lake, Salakhutdinov & Tenenbaum 2015): the prepared omniglot.npz under the data root;
else the raw `images_background` / `images_evaluation` PNG folders; else torchvision's download.

Two splits, each with its own arrays (suffix `_background` or `_evaluation`), in the layout of
docs/DESIGN.md:

    x_<split>                  uint8 (N, 105, 105)  1 = white background, 0 = ink stroke
    y_<split>                  int64 (N,)           class within the split; indexes character_names
    alphabet_<split>           int64 (N,)           indexes alphabet_names
    drawer_<split>             int64 (N,)           1-20, the `_NN` suffix of the file name
    char_id_<split>            int64 (N,)           global character number, the `NNNN_` prefix
    alphabet_names_<split>     str (A,)             alphabet folder names, sorted
    character_names_<split>    str (C,)             `Alphabet/characterNN`, sorted
    image_names_<split>        str (N,)             `Alphabet/characterNN/NNNN_DD.png`, sorted

Images are sorted by their relative path, so by class. `downsample` turns the 105×105 binary
drawings into small MNIST-like images (ink high).
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import numpy as np

from toyemerge.data.prepared import BadDataError, load_or_prepare, load_prepared

FILENAME = "omniglot.npz"
SPLITS = ("background", "evaluation")
IMAGE_SIZE = 105
NUMERIC = {"x": ("uint8", 3), "y": ("int64", 1), "alphabet": ("int64", 1), "drawer": ("int64", 1),
           "char_id": ("int64", 1)}
NAMES = ("alphabet_names", "character_names", "image_names")
SCHEMA = {f"{key}_{split}": spec for split in SPLITS for key, spec in NUMERIC.items()}
# Folders under the data root where the raw split folders are looked for; torchvision unpacks its
# download into omniglot-py/.
RAW_DIRS = (".", "omniglot-py", "omniglot")
_FILE_NAME = re.compile(r"^(\d+)_(\d+)\.png$")


def find_raw(root: Path) -> dict[str, Path] | None:
    """The images_background and images_evaluation folders, side by side in one of RAW_DIRS, or None."""
    for sub in RAW_DIRS:
        folders = {split: root / sub / f"images_{split}" for split in SPLITS}
        if all(f.is_dir() for f in folders.values()):
            return folders
    return None


def read_png(path: Path) -> np.ndarray:
    """One Omniglot PNG (1-bit, white background) as uint8 (105, 105): 1 = background, 0 = ink."""
    from PIL import Image  # torchvision brings Pillow; only the raw-conversion path needs it

    with Image.open(path) as im:
        x = np.asarray(im.convert("L")) > 127
    if x.shape != (IMAGE_SIZE, IMAGE_SIZE):
        raise BadDataError(f"{path}: image is {x.shape[1]}×{x.shape[0]}, expected {IMAGE_SIZE}×{IMAGE_SIZE}")
    return x.astype(np.uint8)


def convert_split(folder: Path, split: str) -> dict[str, np.ndarray]:
    """One raw split folder (<alphabet>/<characterNN>/<NNNN_DD>.png) as the prepared arrays."""
    alphabets = sorted(p.name for p in folder.iterdir() if p.is_dir())
    characters = sorted((a, c.name) for a in alphabets for c in (folder / a).iterdir() if c.is_dir())
    if not characters:
        raise BadDataError(f"{folder} holds no <alphabet>/<character>/ folders of PNG images")
    x, y, alphabet, drawer, char_id, image_names = [], [], [], [], [], []
    for cls, (a, c) in enumerate(characters):
        files = sorted(p.name for p in (folder / a / c).iterdir() if p.suffix == ".png")
        if not files:
            raise BadDataError(f"{folder / a / c} holds no PNG images")
        for name in files:
            match = _FILE_NAME.match(name)
            if match is None:
                raise BadDataError(f"{folder / a / c / name}: file name is not NNNN_DD.png")
            x.append(read_png(folder / a / c / name))
            y.append(cls)
            alphabet.append(alphabets.index(a))
            char_id.append(int(match[1]))
            drawer.append(int(match[2]))
            image_names.append(f"{a}/{c}/{name}")
    ints = {"y": y, "alphabet": alphabet, "drawer": drawer, "char_id": char_id}
    return {
        f"x_{split}": np.stack(x),
        **{f"{key}_{split}": np.asarray(v, dtype=np.int64) for key, v in ints.items()},
        f"alphabet_names_{split}": np.asarray(alphabets, dtype=str),
        f"character_names_{split}": np.asarray([f"{a}/{c}" for a, c in characters], dtype=str),
        f"image_names_{split}": np.asarray(image_names, dtype=str),
    }


def convert_raw(folders: dict[str, Path]) -> dict[str, np.ndarray]:
    arrays = {}
    for split, folder in folders.items():
        arrays.update(convert_split(folder, split))
    return arrays


def download(root: Path) -> dict[str, Path]:
    """Fetch both raw splits with torchvision (needs internet); return their folders."""
    from torchvision.datasets import Omniglot  # imported here: only the download path needs it

    for background in (True, False):
        Omniglot(str(root), background=background, download=True)
    folders = find_raw(root)
    if folders is None:
        raise FileNotFoundError(f"torchvision's download left no raw Omniglot folders under {root}")
    return folders


def load_prepared_omniglot(path: Path) -> dict[str, np.ndarray]:
    """omniglot.npz, checked: numeric arrays against SCHEMA, name arrays as 1-D strings, lengths agree."""
    arrays = load_prepared(path, SCHEMA)
    wanted = [f"{key}_{split}" for split in SPLITS for key in NAMES]
    try:
        with np.load(path, allow_pickle=False) as f:
            arrays.update({name: f[name] for name in wanted if name in f.files})
    except (OSError, ValueError, zipfile.BadZipFile) as e:
        raise BadDataError(f"{path}: name arrays unreadable ({e}); delete it and prepare it again.") from e
    missing = [name for name in wanted if name not in arrays]
    if missing:
        raise BadDataError(f"{path} has no array '{missing[0]}'; delete it and prepare it again.")
    check(arrays, str(path))
    return arrays


def check(arrays: dict[str, np.ndarray], source: str) -> None:
    """Shapes and ranges that every use of the arrays relies on."""
    for split in SPLITS:
        x = arrays[f"x_{split}"]
        n = len(x)
        if x.shape[1:] != (IMAGE_SIZE, IMAGE_SIZE) or x.max(initial=0) > 1:
            raise BadDataError(f"{source}: x_{split} must be 0/1 images of {IMAGE_SIZE}×{IMAGE_SIZE}, got {x.shape}")
        for key in ("y", "alphabet", "drawer", "char_id", "image_names"):
            if len(arrays[f"{key}_{split}"]) != n:
                raise BadDataError(f"{source}: {key}_{split} has {len(arrays[f'{key}_{split}'])} entries, "
                                   f"x_{split} has {n} images")
        for key, names in (("y", "character_names"), ("alphabet", "alphabet_names")):
            a, table = arrays[f"{key}_{split}"], arrays[f"{names}_{split}"]
            if table.dtype.kind != "U" or table.ndim != 1:
                raise BadDataError(f"{source}: {names}_{split} must be a 1-D string array")
            if n and (a.min() < 0 or a.max() >= len(table)):
                raise BadDataError(f"{source}: {key}_{split} does not index {names}_{split}")


def load_omniglot(root: Path, allow_download: bool = True) -> dict[str, np.ndarray]:
    """Load Omniglot as numpy arrays, preparing omniglot.npz from raw folders or a download on first use."""
    def convert(folders) -> dict[str, np.ndarray]:
        arrays = convert_raw(folders)
        check(arrays, f"raw Omniglot under {root}")
        return arrays

    return load_or_prepare(root, FILENAME, load_prepared_omniglot, find_raw, download, convert, _RAW_HINT,
                           allow_download)


def area_weights(n_in: int, n_out: int) -> np.ndarray:
    """(n_out, n_in) matrix W: W[i, j] = share of input pixel j inside output pixel i, rows sum to 1.

    Output pixel i covers [i·n_in/n_out, (i+1)·n_in/n_out) of the input; pixels cut by its edges
    count with the part inside, so the result is the exact area average (like PIL's BOX filter).
    """
    edges = np.arange(n_out + 1) * (n_in / n_out)
    lo, hi = edges[:-1, None], edges[1:, None]
    j = np.arange(n_in)[None, :]
    overlap = np.clip(np.minimum(hi, j + 1) - np.maximum(lo, j), 0, None)
    return overlap / overlap.sum(axis=1, keepdims=True)


def downsample(x: np.ndarray, size: int, chunk: int = 2048) -> np.ndarray:
    """Omniglot images (N, 105, 105), 1 = background / 0 = ink → uint8 (N, size, size), ink = 255.

    Each output pixel is the area average of the ink over the input pixels it covers, scaled to
    0-255 and rounded; so ink is high and background 0, as in MNIST.
    """
    x = np.asarray(x)
    if x.ndim != 3 or x.max(initial=0) > 1:
        raise ValueError(f"expected 0/1 images (N, H, W) with 1 = background, got {x.dtype} {x.shape}")
    rows = area_weights(x.shape[1], size).astype(np.float32)
    cols = area_weights(x.shape[2], size).astype(np.float32)
    out = np.empty((len(x), size, size), np.uint8)
    for start in range(0, len(x), chunk):
        ink = 1.0 - x[start:start + chunk].astype(np.float32)
        out[start:start + chunk] = np.rint(255 * (rows @ ink @ cols.T)).clip(0, 255)
    return out


_RAW_HINT = (
    "put the raw folders images_background/ and images_evaluation/ (from brendenlake/omniglot, "
    "unzipped; <alphabet>/<characterNN>/<NNNN_DD>.png) in it or in its omniglot-py/, "
    "or run once with internet access"
)
