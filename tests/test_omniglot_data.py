"""The Omniglot loader: raw PNG folders → omniglot.npz, the prepared-file checks, downsampling."""

import numpy as np
import pytest

from tests.helpers import omniglot_drawing, write_raw_omniglot
from toyemerge.data import MissingDataError, load_dataset
from toyemerge.data.omniglot import FILENAME, area_weights, downsample, load_omniglot
from toyemerge.data.prepared import BadDataError


@pytest.mark.parametrize("sub", [".", "omniglot-py"])
def test_png_folders_convert_to_the_prepared_layout(tmp_path, sub):
    write_raw_omniglot(tmp_path / sub)
    d = load_omniglot(tmp_path, allow_download=False)
    # Sorted by path: Alpha/character01, Beta_(b)/character01, Beta_(b)/character02.
    assert d["alphabet_names_background"].tolist() == ["Alpha", "Beta_(b)"]
    assert d["character_names_background"].tolist() == ["Alpha/character01", "Beta_(b)/character01",
                                                        "Beta_(b)/character02"]
    assert d["y_background"].tolist() == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    assert d["alphabet_background"].tolist() == [0, 0, 0, 1, 1, 1, 1, 1, 1]
    assert d["char_id_background"].tolist() == [1, 1, 1, 2, 2, 2, 3, 3, 3]
    assert d["drawer_background"].tolist() == [1, 2, 3] * 3
    assert d["image_names_background"][3] == "Beta_(b)/character01/0002_01.png"
    assert d["x_background"].shape == (9, 105, 105) and d["x_background"].dtype == np.uint8
    for i in range(9):  # every image is the drawing its labels say
        expected = omniglot_drawing(d["char_id_background"][i], d["drawer_background"][i])
        np.testing.assert_array_equal(d["x_background"][i], expected)
    assert d["char_id_evaluation"].tolist() == [4, 4, 4] and d["y_evaluation"].dtype == np.int64
    assert (tmp_path / FILENAME).is_file()  # prepared once; read back identically
    again = load_dataset("omniglot", tmp_path, allow_download=False)
    assert again.keys() == d.keys()
    for key in d:
        np.testing.assert_array_equal(again[key], d[key])


def test_missing_omniglot_names_file_root_and_fix(tmp_path):
    with pytest.raises(MissingDataError) as err:
        load_omniglot(tmp_path, allow_download=False)
    message = str(err.value)
    assert FILENAME in message and str(tmp_path) in message and "images_background" in message
    assert "TOYEMERGE_DATA" in message


def test_prepared_file_without_name_arrays_is_rejected(tmp_path):
    write_raw_omniglot(tmp_path / "raw")
    d = load_omniglot(tmp_path / "raw", allow_download=False)
    del d["image_names_evaluation"]
    np.savez(tmp_path / FILENAME, **d)
    with pytest.raises(BadDataError, match="image_names_evaluation"):
        load_omniglot(tmp_path, allow_download=False)


def test_prepared_file_with_mismatched_labels_is_rejected(tmp_path):
    write_raw_omniglot(tmp_path / "raw")
    d = load_omniglot(tmp_path / "raw", allow_download=False)
    d["y_background"] = d["y_background"][:-1]
    np.savez(tmp_path / FILENAME, **d)
    with pytest.raises(BadDataError, match="y_background"):
        load_omniglot(tmp_path, allow_download=False)


def test_area_weights_rows_are_exact_area_shares():
    w = area_weights(5, 2)  # output pixels cover [0, 2.5) and [2.5, 5)
    np.testing.assert_allclose(w, [[0.4, 0.4, 0.2, 0, 0], [0, 0, 0.2, 0.4, 0.4]])


def test_downsample_is_the_area_average_of_the_ink():
    rng = np.random.default_rng(0)
    x = (rng.random((3, 105, 105)) > 0.3).astype(np.uint8)
    small = downsample(x, 28)
    assert small.shape == (3, 28, 28) and small.dtype == np.uint8
    # 105·4 = 28·15: repeat each pixel 4×4 and average 15×15 blocks, the exact area average.
    fine = np.repeat(np.repeat(1.0 - x, 4, axis=1), 4, axis=2)
    expected = np.rint(255 * fine.reshape(3, 28, 15, 28, 15).mean(axis=(2, 4)))
    np.testing.assert_array_equal(small, expected)
    assert downsample(np.ones((1, 105, 105), np.uint8), 28).max() == 0  # background → 0
    assert downsample(np.zeros((1, 105, 105), np.uint8), 28).min() == 255  # all ink → 255


def test_downsample_refuses_images_that_are_not_0_1():
    with pytest.raises(ValueError, match="0/1"):
        downsample(np.full((1, 105, 105), 255, np.uint8), 28)
