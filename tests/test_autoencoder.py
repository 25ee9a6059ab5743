"""The shallow autoencoder and its metrics, against values worked out by hand."""

import math

import numpy as np
import pytest
import torch

from tests.helpers import compose
from toyemerge.metrics import reconstruction as rec
from toyemerge.models import build_model, count_params
from toyemerge.models.autoencoder import Autoencoder, n_autoencoder_params


@pytest.mark.parametrize("n_inputs,n_hidden,expected", [
    (3072, 2, 3072 * 2 + 2 + 2 * 3072 + 3072),      # 15,362: W (2×3072), b (2), W′ (3072×2), b′ (3072)
    (3072, 256, 1_576_192),
    (784, 2, 3_922),
    (784, 512, 804_112),
])
def test_parameter_count_by_hand(n_inputs, n_hidden, expected):
    model = build_model({"name": "autoencoder", "n_hidden": n_hidden, "n_inputs": n_inputs})
    assert count_params(model) == expected == n_autoencoder_params(n_inputs, n_hidden)


def test_forward_is_the_formula_and_stays_in_unit_range():
    torch.manual_seed(0)
    model = Autoencoder(n_hidden=3, n_inputs=5)
    x = torch.rand(4, 5)
    w, b = model.encoder[0].weight, model.encoder[0].bias
    w2, b2 = model.decoder[0].weight, model.decoder[0].bias
    by_hand = torch.sigmoid(torch.relu(x @ w.T + b) @ w2.T + b2)
    torch.testing.assert_close(model(x), by_hand)
    assert model(x * 100).min() >= 0 and model(x * 100).max() <= 1


def test_bad_knob_and_activation_are_refused():
    with pytest.raises(ValueError, match="positive integer"):
        Autoencoder(n_hidden=0, n_inputs=4)
    with pytest.raises(ValueError, match="unknown activation"):
        Autoencoder(n_hidden=2, n_inputs=4, activation="gelu2")


def test_sq_err_by_hand():
    x = np.array([[0.0, 0.5, 1.0, 1.0], [0.2, 0.2, 0.2, 0.2]])
    x_hat = np.array([[0.0, 0.0, 1.0, 0.5], [0.2, 0.2, 0.2, 0.2]])
    # image 0: (0 + 0.25 + 0 + 0.25) / 4 = 0.125; image 1: 0
    np.testing.assert_allclose(rec.per_image_sq_err(x, x_hat), [0.125, 0.0])
    images = x.reshape(2, 2, 2)  # the same pixels as 2×2 images: the mean is over all pixels
    np.testing.assert_allclose(rec.per_image_sq_err(images, x_hat.reshape(2, 2, 2)), [0.125, 0.0])


def test_stored_examples_are_evenly_spaced_and_fixed():
    from toyemerge.training.tasks.reconstruction import example_indices

    assert example_indices(10, 4).tolist() == [0, 3, 6, 9]
    assert example_indices(3, 8).tolist() == [0, 1, 2]


def test_reconstruction_c_mse_and_psnr_by_hand():
    sq_err = np.array([0.001, 0.004, 0.01, 0.02, 0.065], dtype=np.float32)
    assert rec.mse(sq_err) == pytest.approx(0.1 / 5)           # (0.001+0.004+0.01+0.02+0.065)/5 = 0.02
    assert rec.psnr(sq_err) == pytest.approx(10 * math.log10(50))  # 1/0.02 = 50 → 16.99 dB
    assert rec.reconstruction(sq_err, 0.005) == 0.4              # 0.001, 0.004
    assert rec.reconstruction(sq_err, 0.01) == 0.4               # strictly below: 0.01 is not counted
    assert rec.reconstruction(sq_err, 0.0101) == 0.6
    assert rec.reconstruction(sq_err, 1.0) == 1.0
    assert rec.reconstruction(sq_err, 0.0005) == 0.0
    with pytest.raises(ValueError, match="positive"):
        rec.reconstruction(sq_err, 0.0)


def test_score_rows_with_binomial_intervals():
    from scipy.stats import binomtest

    sq_err = np.array([0.001, 0.004, 0.01, 0.02, 0.065], dtype=np.float32)
    cfg = compose("+exp=mnist_autoencoder", "metrics.cutoffs=[0.005,0.03]").metrics
    kind = rec.Reconstruction.from_metrics_cfg(cfg)
    rows = {(r["metric"], r["param"]): r for r in kind.table({"sq_err": sq_err}, cfg)}
    assert set(rows) == {("mse", None), ("psnr", None), ("reconstruction", 0.005), ("reconstruction", 0.03)}
    r = rows[("reconstruction", 0.03)]
    assert r["value"] == 0.8
    ci = binomtest(4, 5).proportion_ci(0.95, method="exact")
    assert (r["ci_low"], r["ci_high"]) == pytest.approx((ci.low, ci.high))
    assert kind.summary({"sq_err": sq_err}) == pytest.approx({"mse": 0.02, "psnr": 10 * math.log10(50)})


def test_suggested_cutoffs_are_rounded_quantiles():
    errors = np.arange(1, 101) / 1000  # 0.001 … 0.100
    # numpy's linear quantiles: q=0.1 → 0.0109, q=0.5 → 0.0505 (as a float just above it), q=0.9 → 0.0901;
    # to 2 significant figures:
    assert rec.suggest_cutoffs(errors, [0.1, 0.5, 0.9]) == [0.011, 0.051, 0.09]
    assert rec.reconstruction(errors, 0.05) == 0.49
