"""An installed toyemerge runs outside the checkout: the wheel carries its configs and page template, the
base install (no PyTorch) re-scores, draws and rescores, and training says in one line what it needs."""

import csv
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(out), str(REPO)],
                   check=True, capture_output=True, text=True)
    return next(out.glob("toyemerge-*.whl"))


@pytest.fixture(scope="module")
def base_install(wheel, tmp_path_factory) -> Path:
    """A fresh virtual environment with the wheel and its base dependencies (no torch): its python."""
    env = tmp_path_factory.mktemp("venv")
    venv.create(env, with_pip=True)
    python = env / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", str(wheel)], check=True, capture_output=True,
                   text=True)
    return python


def outside(tmp_path: Path) -> Path:
    """A working folder with a copy of the committed exports, and nothing else of the checkout."""
    work = tmp_path / "elsewhere"
    shutil.copytree(REPO / "experiments", work / "experiments")
    return work


@pytest.mark.slow
def test_the_wheel_carries_the_configs_and_the_page_template(wheel):
    import zipfile

    names = zipfile.ZipFile(wheel).namelist()
    for member in ("toyemerge/conf/config.yaml", "toyemerge/conf/exp/mnist.yaml", "toyemerge/conf/task/sequence.yaml",
                   "toyemerge/conf/launch/joblib.yaml", "toyemerge/explorer/template.html"):
        assert member in names
    assert not [n for n in names if n.startswith(("devtools/", "tests/"))]  # tools and tests stay in the checkout


@pytest.mark.slow
def test_the_base_install_draws_and_rescores_without_torch(base_install, tmp_path):
    work = outside(tmp_path)
    figures = subprocess.run([str(base_install), "-m", "toyemerge.figures", "+exp=omniglot",
                              f"hydra.run.dir={work / 'logs'}"], cwd=work, capture_output=True, text=True)
    assert figures.returncode == 0, figures.stderr
    assert (work / "figures" / "omniglot_mirage.png").is_file()
    example = REPO / "examples" / "mnist_outputs.csv"
    rescore = subprocess.run([str(base_install), "-m", "toyemerge.rescore", str(example),
                              "--out", str(work / "rescored"),
                              "--resamples", "20"], cwd=work, capture_output=True, text=True)
    assert rescore.returncode == 0, rescore.stderr
    assert {r["metric"] for r in csv.DictReader(open(work / "rescored" / "emergence.csv"))} >= {"accuracy"}
    no_torch = subprocess.run([str(base_install), "-c", "import torch"], capture_output=True, text=True)
    assert no_torch.returncode != 0  # the base install really is torch-free
    train = subprocess.run([str(base_install), "-m", "toyemerge.train", "+exp=mnist", f"hydra.run.dir={work / 'logs'}"],
                           cwd=work, capture_output=True, text=True)
    assert train.returncode == 2
    assert train.stderr.strip().splitlines() == [train.stderr.strip()]
    assert "pip install 'toyemerge[train]'" in train.stderr


@pytest.mark.slow
def test_the_installed_package_trains_a_tiny_family_outside_the_checkout(wheel, tmp_path):
    """The wheel's files (installed into a folder of their own) with this interpreter's PyTorch."""
    from devtools.synthetic import write_synthetic_mnist

    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target),
                    str(wheel)], check=True, capture_output=True, text=True)
    work = tmp_path / "elsewhere"
    work.mkdir()
    data = write_synthetic_mnist(work / "data", n_train=256, n_test=100)
    code = ("import sys, runpy; import toyemerge; print(toyemerge.__file__, file=sys.stderr); "
            "sys.argv = ['toyemerge.train'] + sys.argv[1:]; runpy.run_module('toyemerge.train', run_name='__main__')")
    proc = subprocess.run([sys.executable, "-c", code, "+exp=mnist", f"data.root={data}", "family.scales=[1,2]",
                           "seeds=[0]", "train.epochs=1", "compute.threads=1", "analysis.bootstrap_resamples=20",
                           "explore.bootstrap_resamples=20", f"hydra.run.dir={work / 'logs'}"],
                          cwd=work, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(target), "OMP_NUM_THREADS": "1"})
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert str(target) in proc.stderr.splitlines()[0]  # the installed copy ran, not the checkout
    runs = list(csv.DictReader(open(work / "experiments" / "mnist" / "runs.csv")))
    assert len(runs) == 2 and {r["status"] for r in runs} == {"complete"}
    assert (work / "figures" / "mnist_accuracy.png").is_file()
