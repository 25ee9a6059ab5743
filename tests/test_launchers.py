"""Scale-out through Hydra launchers: one job per (scale, seed) into the run store, one export at the end.

The joblib and submitit_local launchers run for real on tiny synthetic data; the SLURM and Ray presets
are checked as composed configs (no cluster here; Ray only where its launcher is installed).
"""

import shutil

import pytest
from omegaconf import OmegaConf

from tests.helpers import (
    compose,
    compose_with_hydra,
    read_csv,
    run_dirs,
    run_in_subprocess,
    run_without_torch,
    tiny_family,
    write_tiny_mnist,
)
from toyemerge.launch import ExportAfterSweep, sweep_values
from toyemerge.store import RunStore

FIGURES = list(compose("+exp=mnist").figures)
MNIST_SCALES = compose("+exp=mnist").family.scales


def tiny(tmp_path, data_root, *extra):
    """A family of 2 widths × 2 seeds of MNIST LeNets on synthetic data, every output (and the sweep's
    logs) under tmp_path."""
    return tiny_family(tmp_path, data_root, "family.scales=[1,21]", "seeds=[0,1]", "metrics.subset_k=[1,2,3]",
                       "analysis.enabled=false", f"hydra.sweep.dir={tmp_path / 'logs'}", *extra)


def compose_preset(name, *overrides):
    return compose_with_hydra("+exp=mnist", f"+launch={name}", *overrides)


def test_sweep_values_is_hydra_sweep_syntax():
    assert sweep_values([1, 2, 42]) == "1,2,42"
    assert sweep_values([0]) == "0"
    assert sweep_values(7) == "7"


@pytest.mark.parametrize("name, launcher", [("joblib", "JoblibLauncher"), ("submitit_local", "LocalLauncher"),
                                            ("slurm", "SlurmLauncher"), ("family_grid", None)])
def test_each_preset_sweeps_the_whole_family_one_job_per_run(name, launcher):
    cfg = compose_preset(name)
    assert cfg.hydra.mode.name == "MULTIRUN" and cfg.export is False
    assert cfg.hydra.sweeper.params.scale == ",".join(map(str, MNIST_SCALES))
    assert cfg.hydra.sweeper.params.seed == "0,1,2"
    if launcher:
        assert cfg.hydra.launcher._target_.endswith(launcher)
    narrowed = compose_preset(name, "family.scales=[1,21]", "seeds=[3]")
    assert (narrowed.hydra.sweeper.params.scale, narrowed.hydra.sweeper.params.seed) == ("1,21", "3")


def test_slurm_preset_sets_what_a_cluster_needs():
    launcher = compose_preset("slurm", "hydra.launcher.partition=long").hydra.launcher
    assert launcher.partition == "long"
    assert launcher.gpus_per_node == 1 and launcher.cpus_per_task >= 1 and launcher.timeout_min > 0
    assert launcher.array_parallelism > 1


def test_ray_preset_composes_where_the_ray_launcher_is_installed():
    pytest.importorskip("hydra_plugins.hydra_ray_launcher", reason="pip install -e '.[ray]'")
    cfg = compose_preset("ray")
    assert cfg.hydra.launcher._target_.endswith("RayLauncher")
    assert cfg.hydra.launcher.ray.remote.num_cpus == 1


def test_the_callback_exports_only_after_train_jobs_that_skipped_their_export(monkeypatch):
    calls = []
    monkeypatch.setattr("toyemerge.export.export_and_rebuild", lambda cfg: calls.append(cfg))

    def end(job, *overrides, experiment="+exp=mnist"):
        """The end of a sweep `python -m toyemerge.<job> +exp=mnist +launch=joblib <overrides>`."""
        chosen = [experiment] if experiment else []
        ExportAfterSweep().on_multirun_end(compose_with_hydra(*chosen, "+launch=joblib", f"hydra.job.name={job}",
                                                              *overrides))

    end("train", "export=true")  # every job exported itself
    end("figures")  # another entry point's sweep
    end("train", experiment=None)  # +exp=a,b: no single experiment to export
    assert calls == []
    end("train")
    assert len(calls) == 1 and "hydra" not in calls[0] and calls[0].experiment == "mnist"


def test_a_preset_without_an_experiment_is_one_clear_message(capsys):
    # What Hydra hands the callback, and no more: the whole config of +exp=mnist +launch=slurm would run
    # the export's checks, which need the data.
    config = OmegaConf.create({"experiment": None, "hydra": {"runtime": {"choices": {"launch": "slurm"}}}})
    with pytest.raises(SystemExit) as err:
        ExportAfterSweep().on_multirun_start(config)
    assert err.value.code == 2
    assert capsys.readouterr().err.startswith("error: +launch=slurm sweeps the family of one experiment: add +exp=")
    config.experiment = "mnist"
    ExportAfterSweep().on_multirun_start(config)


@pytest.fixture(scope="module")
def joblib_sweep(tmp_path_factory):
    """The README's command on a tiny family: +launch=joblib, 2 processes (about 15 s here, hence `slow`).

    Returns (tmp folder, log)."""
    tmp_path = tmp_path_factory.mktemp("joblib")
    data = write_tiny_mnist(tmp_path)
    ran = run_in_subprocess("toyemerge.train", *tiny(tmp_path, data, "+launch=joblib", "hydra.launcher.n_jobs=2"))
    return tmp_path, ran.out + ran.err


def assert_family_exported(tmp_path, pairs):
    """Each (width, seed) trained exactly once into the store and exported with tables and figures."""
    store = RunStore(tmp_path / "runs")
    runs_in_store = run_dirs(store.root)
    assert sorted(p.name.split("-")[1:3] for p in runs_in_store) == sorted([f"width{w}", f"s{s}"] for w, s in pairs)
    assert all(store.status(p.name) == "complete" for p in runs_in_store)
    assert not list(store.root.glob(".tmp-*"))
    exp = tmp_path / "experiments" / "mnist"
    runs = read_csv(exp / "runs.csv")
    assert sorted((int(r["width"]), int(r["seed"])) for r in runs) == sorted(pairs)
    assert {r["status"] for r in runs} == {"complete"}
    assert {r["run_id"] for r in runs} == {p.name for p in runs_in_store}
    assert len(read_csv(exp / "results.csv")) == len(pairs) * (4 + 2 * 3)  # 4 smooth metrics; 2 sharp ones × K = 1..3
    for name in FIGURES:
        for suffix in (".png", ".pdf"):
            assert (tmp_path / "figures" / f"mnist_{name}{suffix}").stat().st_size > 1000


@pytest.mark.slow
def test_joblib_jobs_train_one_run_each_then_the_family_is_exported_once(joblib_sweep):
    tmp_path, log = joblib_sweep
    assert_family_exported(tmp_path, [(1, 0), (1, 1), (21, 0), (21, 1)])
    assert log.count("all jobs finished: exporting the family once") == 1
    assert log.count("exported to") == 1  # the jobs themselves did not export
    job_logs = sorted((tmp_path / "logs").glob("*/train.log"))
    assert len(job_logs) == 4
    for job_log in job_logs:  # one line per job: the model's summary
        lines = job_log.read_text().splitlines()
        assert len(lines) == 1 and "params" in lines[0] and "test accuracy" in lines[0]


@pytest.mark.slow
def test_export_entry_point_exports_from_the_store_and_names_what_is_missing(joblib_sweep, tmp_path):
    source, _ = joblib_sweep
    shutil.copytree(source / "runs", tmp_path / "runs")
    store = RunStore(tmp_path / "runs")
    by_name = {p.name.split("-")[1] + "-" + p.name.split("-")[2]: p.name for p in run_dirs(store.root)}
    shutil.rmtree(store.path(by_name["width21-s1"]))
    config = store.load_config(by_name["width1-s1"])
    shutil.rmtree(store.path(by_name["width1-s1"]))
    store.save_failed(by_name["width1-s1"], config, "loss became nan at epoch 1, step 3", {"n_params": 141})

    args = [a for a in tiny(tmp_path, "unused") if not a.startswith("hydra.sweep")]
    ran = run_without_torch("toyemerge.export", *args)
    log = ran.out + ran.err
    assert ran.status == 0, log
    assert "1 runs not trained yet: width=21 seed=1" in log
    assert "1 runs failed (retry_failed=true trains them again): width=1 seed=1" in log
    runs = {(r["width"], r["seed"]): r["status"] for r in read_csv(tmp_path / "experiments/mnist/runs.csv")}
    assert runs == {("1", "0"): "complete", ("21", "0"): "complete", ("1", "1"): "failed"}
    assert (tmp_path / "figures" / "mnist_accuracy.png").is_file()


@pytest.mark.slow
def test_submitit_job_from_plain_overrides_then_one_export_naming_the_run_not_swept(tmp_path):
    """The SLURM launcher's code path (pickled job, separate process) on this machine, overrides by hand."""
    data = write_tiny_mnist(tmp_path)
    ran = run_in_subprocess("toyemerge.train", "-m", *tiny(tmp_path, data, "hydra/launcher=submitit_local", "scale=1",
                                                           "seed=0", "export=false", "seeds=[0]"))
    log = ran.out + ran.err
    assert log.count("exported to") == 1
    assert "1 runs not trained yet: width=21 seed=0" in log
    runs = read_csv(tmp_path / "experiments/mnist/runs.csv")
    assert [(r["width"], r["seed"], r["status"]) for r in runs] == [("1", "0", "complete")]
    assert RunStore(tmp_path / "runs").status(runs[0]["run_id"]) == "complete"
    job_out = list((tmp_path / "logs" / ".submitit").glob("*/*_0_log.out"))
    assert len(job_out) == 1 and "width=1 seed=0  params 371" in job_out[0].read_text()
    assert (tmp_path / "figures" / "mnist_accuracy.png").is_file()
