"""The classroom preset: a small honest MNIST family under its own name, never overwriting the full run."""

from omegaconf import OmegaConf

from tests.helpers import compose, outputs_in, read_csv
from toyemerge.config import CONF_DIR


def test_lesson_preset_is_a_delta_of_the_mnist_experiment():
    preset = OmegaConf.load(CONF_DIR / "preset/lesson.yaml")  # the file itself: which keys it sets
    lesson, mnist = compose("+exp=mnist", "+preset=lesson"), compose("+exp=mnist")
    assert lesson.experiment == "mnist_lesson" != mnist.experiment
    assert lesson.family.scales == mnist.family.scales  # the full family's sizes, so its curves compare
    assert len(lesson.seeds) < len(mnist.seeds) and lesson.train.epochs < mnist.train.epochs
    assert set(preset) == {"experiment", "seeds", "train", "explore"} and set(preset.train) == {"epochs"}
    assert "model" not in preset and "metrics" not in preset  # the same models and metrics as the full run
    assert lesson.model == mnist.model and lesson.metrics == mnist.metrics


def test_lesson_trains_and_exports_under_its_own_name(tiny_mnist_root, tmp_path, cli):
    # Only where the data are and where outputs go, and fewer scales: the preset's own seeds and epochs.
    lesson = ["+exp=mnist", "+preset=lesson", *outputs_in(tmp_path)]
    ran = cli("toyemerge.train", *lesson, f"data.root={tiny_mnist_root}", "family.scales=[1,2,42]",
              "analysis.bootstrap_resamples=50")
    assert ran.status == 0, ran.err
    runs = read_csv(tmp_path / "experiments" / "mnist_lesson" / "runs.csv")
    assert {(r["width"], r["seed"]) for r in runs} == {(w, s) for w in ("1", "2", "42") for s in ("0", "1")}
    assert {r["exp"] for r in runs} == {"mnist_lesson"}
    assert not (tmp_path / "experiments" / "mnist").exists()
    assert (tmp_path / "figures" / "mnist_lesson_subset_accuracy.png").is_file()
    ran = cli("toyemerge.explore", *lesson)
    assert ran.status == 0, ran.err
    assert (tmp_path / "experiments" / "mnist_lesson" / "explorer.html").is_file()
