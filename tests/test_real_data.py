"""The real datasets under $TOYEMERGE_DATA match their documented figures (skipped when absent)."""

import numpy as np
import pytest

from toyemerge.data import data_root, load_dataset
from toyemerge.data.omniglot import FILENAME as OMNIGLOT_FILE

pytestmark = pytest.mark.real_data


def real_mnist():
    if not (data_root() / "mnist.npz").is_file():
        pytest.skip(f"no real mnist.npz under {data_root()} (set TOYEMERGE_DATA)")
    return load_dataset("mnist", allow_download=False)


def test_real_mnist_matches_its_documented_figures():
    d = real_mnist()
    assert d["x_train"].shape == (60000, 28, 28) and d["x_test"].shape == (10000, 28, 28)
    assert np.bincount(d["y_test"]).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert d["x_train"].mean() / 255 == pytest.approx(0.1307, abs=1e-4)
    assert d["x_train"].std() / 255 == pytest.approx(0.3081, abs=1e-4)


def test_real_omniglot_matches_its_documented_figures():
    if not (data_root() / OMNIGLOT_FILE).is_file():
        pytest.skip(f"no real {OMNIGLOT_FILE} under {data_root()} (set TOYEMERGE_DATA)")
    d = load_dataset("omniglot", allow_download=False)
    assert d["x_background"].shape == (19280, 105, 105) and d["x_evaluation"].shape == (13180, 105, 105)
    assert len(d["character_names_background"]) == 964 and len(d["character_names_evaluation"]) == 659
    for split in ("background", "evaluation"):
        assert (np.bincount(d[f"y_{split}"]) == 20).all()
        assert sorted(set(d[f"drawer_{split}"].tolist())) == list(range(1, 21))
    ids = np.concatenate([d["char_id_background"], d["char_id_evaluation"]])
    assert sorted(set(ids.tolist())) == list(range(1, 1624))
    assert 0.90 < d["x_background"].mean() < 0.94  # about 92% of pixels are background
