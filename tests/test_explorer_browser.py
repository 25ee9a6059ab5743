"""The explorer page in a real headless Chromium: offline, and its controls redraw the numbers Python computes.

Skipped when /usr/bin/chromium (or $TOYEMERGE_CHROMIUM) or playwright is missing, unless
TOYEMERGE_REQUIRE_BROWSER=1 (set by CI's .ci/run), where that is a failure.
"""

import os

import numpy as np
import pytest

from tests.helpers import REPO, run_in_subprocess, write_classifier_export
from toyemerge.analysis.scores import emergence_score, seed_mean_curve
from toyemerge.explorer import browser, page
from toyemerge.folder import completed_runs, load_outputs
from toyemerge.metrics.classification import accuracy, subset_accuracy_exact
from toyemerge.metrics.reconstruction import reconstruction
from toyemerge.metrics.sequence import all_correct

EXPERIMENTS = REPO / "experiments"


@pytest.fixture(scope="module")
def chromium():
    reason = browser.why_unavailable()
    if reason:
        if os.environ.get("TOYEMERGE_REQUIRE_BROWSER") == "1":
            pytest.fail(f"TOYEMERGE_REQUIRE_BROWSER=1 but no browser: {reason}")
        pytest.skip(reason)
    with browser.chromium() as b:
        yield b


def opened(chromium, html):
    """The page, checked to have made no network request and raised no error."""
    view = browser.open_offline(chromium, html)
    assert view.blocked == [] and view.errors == []
    return view.page


def plotted(pg, panel="sharp"):
    """(n_params, value) of the seed-mean points drawn in a panel, from their data-* attributes."""
    return pg.eval_on_selector_all(f"#{panel}-plot .mean-point",
                                   "els => els.map(e => [+e.dataset.nParams, +e.dataset.value])")


def shown_score(pg, panel="sharp"):
    """(the score as printed, the score in its data-score attribute)."""
    text = pg.text_content(f"#score-{panel}").replace("\u2212", "-")
    return float(text), float(pg.get_attribute(f"#score-{panel}", "data-score"))


def move_slider_to(pg, index):
    """Move the sharpness slider with the keyboard, as a student would."""
    pg.focus("#param")
    pg.keyboard.press("Home")
    for _ in range(index):
        pg.keyboard.press("ArrowRight")


def assert_curve(pg, x, y, panel="sharp"):
    """The panel plots the seed-mean curve of per-model values y at model sizes x."""
    xs, mean = seed_mean_curve(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
    points = np.array(plotted(pg, panel))
    assert points[:, 0] == pytest.approx(xs)
    assert points[:, 1] == pytest.approx(mean, rel=1e-5, abs=1e-9)  # the page holds 6 significant digits
    printed, attribute = shown_score(pg, panel)
    score = emergence_score(xs, mean)
    assert attribute == pytest.approx(score, rel=1e-5) and printed == pytest.approx(score, abs=0.05 + 1e-9)
    return score


def family_outputs(exp_dir):
    runs = sorted(completed_runs(exp_dir), key=lambda r: (int(r["n_params"]), int(r["seed"])))
    return [int(r["n_params"]) for r in runs], [load_outputs(exp_dir / "outputs" / f"{r['run_id']}.npz") for r in runs]


@pytest.fixture(scope="module")
def synthetic_page(tmp_path_factory):
    """The page `toyemerge.explore` writes (and its screenshot) for a simulated family's export. In its
    own process: the screenshot starts a browser, and playwright allows one per thread (`chromium` holds it)."""
    root = tmp_path_factory.mktemp("explore")
    write_classifier_export(root / "mnist", n=300)
    run_in_subprocess("toyemerge.explore", "+exp=mnist", f"paths.experiments={root}", "explore.bootstrap_resamples=50",
                      f"explore.screenshot={root / 'shot.png'}", f"hydra.run.dir={root / 'logs'}")
    return root


@pytest.mark.slow
def test_synthetic_page_slider_redraws_the_python_values(chromium, synthetic_page):
    html = synthetic_page / "mnist" / "explorer.html"
    x, outputs = family_outputs(synthetic_page / "mnist")
    correct = [o["target"] == o["pred"] for o in outputs]
    pg = opened(chromium, html)
    assert pg.get_attribute("#param-value", "data-param") == "5"  # opens at analysis.resolution_param
    k5 = assert_curve(pg, x, [subset_accuracy_exact(c, 5) for c in correct])
    smooth = assert_curve(pg, x, [c.mean() for c in correct], panel="smooth")

    move_slider_to(pg, 19)  # K = 20
    assert pg.text_content("#param-value") == "K = 20"
    k20 = assert_curve(pg, x, [subset_accuracy_exact(c, 20) for c in correct])
    assert k20 != pytest.approx(k5)
    assert shown_score(pg, "smooth")[1] == pytest.approx(smooth, rel=1e-5)  # the smooth metric stays
    sentences = pg.text_content("#explanation")
    assert pg.text_content("#score-sharp") in sentences and "all-20-right" in sentences.lower()

    pg.select_option("#size", index=0)  # 100 test images: the first 100 of the seeded permutation
    data = page.read_data(html)
    order = np.random.default_rng(data["source"]["seed"]).permutation(300)[:100]
    assert_curve(pg, x, [subset_accuracy_exact(c[order], 20) for c in correct])
    pg.select_option("#size", index=len(data["sizes"]) - 1)

    every2 = next(i for i, s in enumerate(data["samplings"]) if s["every"] == 2 and s["offset"] == 1)
    pg.select_option("#sampling", str(every2))  # every 2nd size, from the 2nd
    keep = set(np.unique(x)[1::2])
    subset = [(n, c) for n, c in zip(x, correct, strict=True) if n in keep]
    assert_curve(pg, [n for n, _ in subset], [subset_accuracy_exact(c, 20) for _, c in subset])
    assert (synthetic_page / "shot.png").stat().st_size > 20_000


def test_real_mnist_page_slider_redraws_the_python_values(chromium):
    """The committed page of the real MNIST family: K = 20 plots what the saved outputs give."""
    html = EXPERIMENTS / "mnist" / "explorer.html"
    if not html.is_file():
        pytest.skip("experiments/mnist/explorer.html is not there")
    x, outputs = family_outputs(EXPERIMENTS / "mnist")
    correct = [o["target"] == o["pred"] for o in outputs]
    pg = opened(chromium, html)
    assert_curve(pg, x, [accuracy(o["target"], o["pred"]) for o in outputs], panel="smooth")
    before = shown_score(pg)
    move_slider_to(pg, 19)
    assert pg.get_attribute("#param-value", "data-param") == "20"
    assert_curve(pg, x, [subset_accuracy_exact(c, 20) for c in correct])
    assert shown_score(pg) != before


@pytest.mark.parametrize("exp", ["omniglot", "mnist_autoencoder", "omniglot_autoencoder"])
def test_real_pages_of_every_kind_follow_their_slider(chromium, exp):
    """L (all-L-correct) and c (Reconstruction_c): one slider step redraws the values of the outputs."""
    html = EXPERIMENTS / exp / "explorer.html"
    if not html.is_file():
        pytest.skip(f"experiments/{exp}/explorer.html is not there")
    x, outputs = family_outputs(EXPERIMENTS / exp)
    pg = opened(chromium, html)
    data = page.read_data(html)
    assert data["metrics"][0]["name"] == ("reconstruction" if "autoencoder" in exp else "all_correct")  # opens on it
    index = data["metrics"][0]["start"] - 1
    move_slider_to(pg, index)
    param = data["metrics"][0]["params"][index]
    assert float(pg.get_attribute("#param-value", "data-param")) == pytest.approx(param)
    if "sq_err" in outputs[0]:
        assert_curve(pg, x, [reconstruction(o["sq_err"], param) for o in outputs])
    else:
        assert_curve(pg, x, [all_correct(o["target"] == o["pred"], int(param)).mean() for o in outputs])
