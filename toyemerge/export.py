"""Export a family from the run store into experiments/<exp>/ (DESIGN.md's folder contract).

Also an entry point, `python -m toyemerge.export +exp=mnist`: export and redraw from the store alone,
training nothing, e.g. after launcher jobs (README, "Scale-out") or runs copied in from elsewhere.
"""

from __future__ import annotations

import logging
from pathlib import Path

import hydra
from omegaconf import DictConfig

from toyemerge.errors import user_errors
from toyemerge.experiment import require_experiment, require_writable
from toyemerge.family import RunSpec, run_specs
from toyemerge.figures import rebuild
from toyemerge.scoring import RUNS_COLUMNS_FIRST, write_csv
from toyemerge.store import RunStore, remove_stale_temps, sha256_file, write_atomic

log = logging.getLogger("toyemerge.export")
_NAMED = 10  # runs named in a missing/failed message before "… and N more"


def experiment_dir(cfg: DictConfig) -> Path:
    return Path(cfg.paths.experiments) / cfg.experiment


def export_experiment(cfg: DictConfig, store: RunStore) -> Path:
    """Copy every complete run of the family into the export and write runs.csv.

    The export holds exactly the family of this config: outputs of runs that are not part of it
    (an older config, say) are removed, and runs still missing from the store are reported. Runs
    that failed are listed in runs.csv with status `failed` and their reason, so tables and
    figures can mark them rather than silently drop them.
    """
    exp_dir = experiment_dir(cfg)
    out_dir = exp_dir / "outputs"
    out_dir.mkdir(parents=True, exist_ok=True)
    log.info("[%s] exporting to %s", cfg.experiment, exp_dir)
    for folder in (exp_dir, out_dir):
        remove_stale_temps(folder)
    knob = cfg.family.knob
    rows, missing, failed = [], [], []
    for spec in run_specs(cfg, selected_only=False):
        row = {"run_id": spec.run_id, "exp": cfg.experiment, "seed": spec.seed, knob: spec.scale}
        status = store.status(spec.run_id)
        if status == "failed":
            failure = store.failure(spec.run_id)
            rows.append({**row, "n_params": failure.get("n_params"), "status": "failed", "failure": failure["reason"]})
            failed.append(spec)
        elif status == "complete":
            _copy_if_changed(store.outputs_path(spec.run_id), out_dir / f"{spec.run_id}.npz")
            metrics = store.load_metrics(spec.run_id)
            rows.append({**row, "n_params": metrics["n_params"], "train_seconds": round(metrics["train_seconds"], 3),
                         "status": "complete"})
        else:
            missing.append(spec)
    keep = {f"{r['run_id']}.npz" for r in rows if r["status"] == "complete"}
    for stale in out_dir.glob("*.npz"):
        if stale.name not in keep:
            stale.unlink()
    write_csv(exp_dir / "runs.csv", rows, RUNS_COLUMNS_FIRST + [knob, "train_seconds", "status", "failure"])
    total = len(rows) + len(missing)
    log.info("[%s] exported %d of %d runs: %d complete, %d failed, %d not in the store", cfg.experiment,
             len(rows), total, len(rows) - len(failed), len(failed), len(missing))
    if failed:
        log.warning("[%s] %d runs failed (retry_failed=true trains them again): %s", cfg.experiment, len(failed),
                    name_runs(failed, knob))
    if missing:
        log.warning("[%s] %d runs not trained yet: %s", cfg.experiment, len(missing), name_runs(missing, knob))
    return exp_dir


def name_runs(specs: list[RunSpec], knob: str) -> str:
    """`width=1 seed=2, width=4 seed=0, … and 5 more`: runs named as a user selects them."""
    names = ", ".join(f"{knob}={spec.scale} seed={spec.seed}" for spec in specs[:_NAMED])
    return names + (f", … and {len(specs) - _NAMED} more" if len(specs) > _NAMED else "")


def export_and_draw(cfg: DictConfig, store: RunStore | None = None) -> Path:
    """Export the whole family from the store, then re-score and redraw it (toyemerge.figures)."""
    store = store or RunStore(cfg.store)
    require_writable(experiment_dir(cfg), Path(cfg.paths.figures))
    exp_dir = export_experiment(cfg, store)
    rebuild(cfg)
    return exp_dir


def _copy_if_changed(src: Path, dst: Path) -> None:
    if dst.is_file() and sha256_file(dst) == sha256_file(src):
        return
    write_atomic(dst, src.read_bytes())


@hydra.main(version_base="1.3", config_path="../conf", config_name="config")
def main(cfg: DictConfig) -> None:
    require_experiment(cfg)
    with user_errors():
        export_and_draw(cfg)


if __name__ == "__main__":
    main()
