"""The shallow autoencoder: exact parameter count, the forward formula, refused settings, stored examples.

Its metrics are in test_metrics_reconstruction.py."""

import pytest
import torch

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


def test_stored_examples_are_evenly_spaced_and_fixed():
    from toyemerge.training.tasks.reconstruction import example_indices

    assert example_indices(10, 4).tolist() == [0, 3, 6, 9]
    assert example_indices(3, 8).tolist() == [0, 1, 2]
