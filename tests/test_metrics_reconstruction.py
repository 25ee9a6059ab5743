"""Reconstruction metrics (per-image error, Reconstruction_c, MSE, PSNR) against values worked out by hand."""

import math

import numpy as np
import pytest

from tests.helpers import compose
from toyemerge.metrics import reconstruction as rec


def test_sq_err_by_hand():
    x = np.array([[0.0, 0.5, 1.0, 1.0], [0.2, 0.2, 0.2, 0.2]])
    x_hat = np.array([[0.0, 0.0, 1.0, 0.5], [0.2, 0.2, 0.2, 0.2]])
    # image 0: (0 + 0.25 + 0 + 0.25) / 4 = 0.125; image 1: 0
    np.testing.assert_allclose(rec.per_image_sq_err(x, x_hat), [0.125, 0.0])
    images = x.reshape(2, 2, 2)  # the same pixels as 2×2 images: the mean is over all pixels
    np.testing.assert_allclose(rec.per_image_sq_err(images, x_hat.reshape(2, 2, 2)), [0.125, 0.0])


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
