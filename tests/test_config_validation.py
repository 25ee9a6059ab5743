"""The config is checked once, up front: each mistake is one line naming the key, the value and what is allowed."""

import inspect

import pytest

from tests.helpers import compose, tiny_family
from toyemerge.config import available_experiments
from toyemerge.errors import ConfigError
from toyemerge.models import MODELS as MODEL_CLASSES
from toyemerge.schema import MODELS, validate


@pytest.mark.parametrize("overrides", [[f"+exp={exp}"] for exp in available_experiments()]
                         + [["+exp=mnist", "+preset=lesson"], ["+exp=mnist", "+launch=joblib"]], ids=" ".join)
def test_every_shipped_experiment_is_valid(overrides):
    validate(compose(*overrides))


def test_the_schema_names_every_argument_of_every_model():
    """The schema's model keys are the constructors' arguments (less the knob): they cannot drift apart."""
    for name, cls in MODEL_CLASSES.items():
        arguments = set(inspect.signature(cls).parameters)
        knob = {"lenet": "width", "autoencoder": "n_hidden", "transformer": "width"}[name]
        assert set(MODELS[name]) == arguments - {knob}, name
        optional = {k for k, p in inspect.signature(cls).parameters.items() if p.default is not p.empty}
        assert {k for k, rule in MODELS[name].items() if rule.optional} == optional - {knob}, name


@pytest.mark.parametrize("exp, override, key, allowed", [
    ("mnist", "+train.epoch=4", "unknown config key train.epoch (did you mean train.epochs?)", "epochs, batch_size"),
    ("mnist", "+model.widht=3", "unknown config key model.widht", "reference_width"),
    ("mnist", "train.epochs=abc", "train.epochs = 'abc'", "an integer ≥ 1"),
    ("mnist", "train.epochs=0", "train.epochs = 0", "an integer ≥ 1"),
    ("mnist", "train.batch_size=0", "train.batch_size = 0", "an integer ≥ 1"),
    ("mnist", "train.eval_batch_size=-1", "train.eval_batch_size = -1", "an integer ≥ 1"),
    ("mnist", "train.lr=nan", "train.lr = nan", "a finite number > 0"),
    ("mnist", "train.lr=-0.1", "train.lr = -0.1", "a finite number > 0"),
    ("mnist", "train.optimizer=adamw", "train.optimizer = 'adamw'", "one of adam, sgd"),
    ("mnist", "train.schedule=cosine", "train.schedule = 'cosine'", "one of constant, onecycle"),
    ("mnist", "seeds=foo", "seeds = 'foo'", "a non-empty list"),
    ("mnist", "seeds=[]", "seeds = []", "a non-empty list"),
    ("mnist", "family.scales=[]", "family.scales = []", "a non-empty list"),
    ("mnist", "family.scales=[1,1,2]", "family.scales = [1, 1, 2]", "distinct values"),
    ("mnist", "seed=5", "seed = 5 is not one of seeds [0, 1, 2]", "'seeds=[0,1,2,5]'"),
    ("mnist", "scale=7", "scale = 7 is not one of family.scales", "add it"),
    ("mnist", "device=gpu", "device = 'gpu'", "auto, cpu, cuda or cuda:<index>"),
    ("mnist", "compute.threads=0", "compute.threads = 0", "an integer ≥ 1, or null"),
    ("mnist", "metrics.confidence=2", "metrics.confidence = 2", "> 0 and < 1"),
    ("mnist", "metrics.subset_k=[0,5]", "metrics.subset_k = [0, 5]", "an integer ≥ 1"),
    ("mnist", "analysis.bootstrap_resamples=-5", "analysis.bootstrap_resamples = -5", "an integer ≥ 0"),
    ("mnist", "export=yes", "export = 'yes'", "true or false"),
    ("mnist", "figures.accuracy.metric=acuracy", "figures.accuracy.metric = 'acuracy'", "accuracy, cross_entropy"),
    ("mnist_autoencoder", "metrics.cutoffs=[-0.1,0.01]", "metrics.cutoffs = [-0.1, 0.01]", "> 0"),
    ("omniglot", "metrics.lengths=[1,6]", "L = 6 is longer than the sequences", "data.sequence_length = 5"),
    ("omniglot", "data.test_drawers=[15,16]", "share drawers [15]", "new to the model"),
])
def test_each_mistake_names_the_key_the_value_and_what_is_allowed(exp, override, key, allowed):
    with pytest.raises(ConfigError) as err:
        validate(compose(f"+exp={exp}", override))
    message = str(err.value)
    assert key in message and allowed in message and "\n" not in message


@pytest.mark.parametrize("module", ["toyemerge.train", "toyemerge.figures", "toyemerge.export", "toyemerge.explore"])
def test_every_entry_point_refuses_before_doing_anything(tmp_path, tiny_mnist_root, cli, module):
    ran = cli(module, *tiny_family(tmp_path, tiny_mnist_root, "+train.epoch=4"))
    assert ran.status == 2
    assert ran.err.strip().splitlines() == [ran.err.strip()] and ran.err.startswith("error: unknown")
    assert not (tmp_path / "runs").exists() and not (tmp_path / "experiments").exists()
