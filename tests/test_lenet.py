"""The LeNet family: LeNet-5 at the reference width, exact parameter count, bad widths refused."""

import pytest
import torch

from toyemerge.models import build_model, count_params
from toyemerge.models.lenet import LeNet, layer_widths


def lenet_params(c1, c2, f1, f2, n_classes=10, side=4):
    """Parameter count of LeNet-5's layers worked out by hand (weights + biases)."""
    conv = (c1 * 25 + c1) + (c2 * c1 * 25 + c2)
    return conv + (c2 * side * side * f1 + f1) + (f1 * f2 + f2) + (f2 * n_classes + n_classes)


def test_reference_width_is_lenet5():
    model = LeNet(width=42, reference_width=42)
    assert model.widths == (6, 16, 120, 84)
    assert count_params(model) == lenet_params(6, 16, 120, 84) == 44_426


@pytest.mark.parametrize("width", [1, 2, 3, 8, 21, 168])
def test_parameter_count_is_exact(width):
    model = build_model({"name": "lenet", "width": width, "reference_width": 42})
    assert count_params(model) == lenet_params(*model.widths)
    assert model(torch.zeros(2, 1, 28, 28)).shape == (2, 10)


def test_widths_grow_with_the_knob_and_never_reach_zero():
    widths = [layer_widths(w, 42) for w in (1, 2, 4, 8, 16, 42, 84)]
    assert widths[0] == (1, 1, 3, 2)
    for a, b in zip(widths[:-1], widths[1:], strict=True):
        assert all(x <= y for x, y in zip(a, b, strict=True))


@pytest.mark.parametrize("bad", [0, -3, 2.5, True, "4"])
def test_bad_width_is_refused(bad):
    with pytest.raises(ValueError, match="positive integer"):
        layer_widths(bad, 42)


def test_base_sets_the_widths_at_the_reference_width():
    assert layer_widths(3, 1, base=(1, 2, 8, 1)) == (3, 6, 24, 3)


def test_activation_is_chosen_by_name():
    relu, tanh = (build_model({"name": "lenet", "width": 4, "reference_width": 42, "activation": a})
                  for a in ("relu", "tanh"))
    assert sum(isinstance(m, torch.nn.ReLU) for m in relu.modules()) == 4
    assert sum(isinstance(m, torch.nn.Tanh) for m in tanh.modules()) == 4
    assert not any(isinstance(m, torch.nn.ReLU) for m in tanh.modules())


def test_a_base_that_is_not_four_layers_is_refused():
    with pytest.raises(ValueError, match="4 scaled layers"):
        layer_widths(2, 1, base=(1, 2, 8))
    with pytest.raises(ValueError, match="4 scaled layers"):
        LeNet(2, 1, base=[1, 2, 8, 1, 1])
