"""Export a family from the run store into experiments/<exp>/ (docs/DESIGN.md's folder contract).

An export only ever adds. It never deletes an exported run, and it replaces one only with the same
run (the same id, so the same configuration and data) freshly read from the store:

- a run the store holds complete is copied in (added, or updated when the export already has it);
- an exported run the store does not hold complete is kept as it is;
- a run the store records as failed is listed as failed, unless the export holds it complete.

It refuses, with one line and before anything is written (and, in `toyemerge.train`, before any
training), to export when the existing export holds runs of another configuration (the same scale
and seed under another id: other training settings, model or data), when the store holds no
complete run of the family, or when a file of the existing export is damaged and the store cannot
replace it. Every file is written aside and renamed into place, the outputs first and runs.csv (the
index) last, so an interrupted export leaves the old one whole.
Torch-free: it only reads the store and writes the folder.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from toyemerge.errors import ToyemergeError
from toyemerge.folder import (
    RUNS_COLUMNS_FIRST,
    RUNS_COLUMNS_LAST,
    ExportDamaged,
    experiment_dir,
    read_runs,
    restore_hint,
)
from toyemerge.io import sha256_file, write_atomic, write_csv
from toyemerge.store import RunStore, remove_stale_temps
from toyemerge.training.family import data_fingerprint, run_spec, run_specs

log = logging.getLogger("toyemerge.export")
_NAMED = 10  # runs named in a message before "… and N more"
_RECIPE = ("task", "data", "model", "family", "train")  # the config sections that say what was trained


@dataclass
class Plan:
    """What an export will write, worked out before anything is written."""

    rows: list[dict] = field(default_factory=list)  # the new runs.csv, sorted by scale and seed
    copies: list[tuple[Path, Path]] = field(default_factory=list)  # store outputs → export outputs
    added: list[str] = field(default_factory=list)  # run labels, for the log
    updated: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


def plan_export(cfg: DictConfig, store: RunStore, fingerprint: str | None = None,
                require_runs: bool = True) -> Plan:
    """Work out the export of cfg's family from `store` and the existing export; raise a
    ToyemergeError (one line) when it must refuse. Reads only."""
    fingerprint = fingerprint or data_fingerprint(cfg, store)
    exp_dir, knob = experiment_dir(cfg), cfg.family.knob
    existing = _existing_runs(cfg, exp_dir, store, fingerprint)
    family = run_specs(cfg, selected_only=False, fingerprint=fingerprint)
    plan, rows = Plan(), {}
    for spec in family:
        status, label = store.status(spec.run_id), _label(knob, spec.scale, spec.seed)
        old = existing.pop(spec.run_id, None)
        row = {"run_id": spec.run_id, "exp": cfg.experiment, "seed": spec.seed, knob: spec.scale}
        if status == "complete":
            source = store.outputs_path(spec.run_id)
            metrics = store.load_metrics(spec.run_id)
            rows[spec.run_id] = {**row, "n_params": metrics["n_params"], "status": "complete",
                                 "train_seconds": round(metrics["train_seconds"], 3),
                                 "outputs_sha256": sha256_file(source)}
            plan.copies.append((source, exp_dir / "outputs" / f"{spec.run_id}.npz"))
            (plan.updated if old else plan.added).append(label)
        elif old is not None and old.get("status", "complete") == "complete":
            rows[spec.run_id] = old
            plan.kept.append(label)
        elif status == "failed":
            failure = store.failure(spec.run_id)
            rows[spec.run_id] = {**row, "n_params": failure.get("n_params"), "status": "failed",
                                 "failure": failure["reason"]}
            plan.failed.append(label)
        elif old is not None:  # failed in an earlier export, not in this store
            rows[spec.run_id] = old
            plan.failed.append(label)
        else:
            plan.missing.append(label)
    if require_runs and not plan.copies:
        why = f"{len(plan.failed)} failed, the others not trained" if plan.failed else "none is trained"
        raise ToyemergeError(
            f"the store {store.root} holds no complete run of the {len(family)} runs of {cfg.experiment} ({why}); "
            f"nothing exported, {exp_dir} is unchanged. Train them with python -m toyemerge.train "
            f"+exp={cfg.experiment}, or point store= at the store that holds them.")
    for run_id, old in existing.items():  # exported runs of this configuration outside cfg's scales/seeds
        rows[run_id] = old
        (plan.kept if old.get("status", "complete") == "complete" else plan.failed).append(
            _label(knob, old[knob], old["seed"]))
    plan.rows = sorted(rows.values(), key=lambda r: (int(r[knob]), int(r["seed"])))
    return plan


def _existing_runs(cfg: DictConfig, exp_dir: Path, store: RunStore, fingerprint: str) -> dict[str, dict]:
    """{run_id: row} of the existing export, checked to be this configuration's runs and whole
    (or replaceable from the store); a ToyemergeError otherwise."""
    if not (exp_dir / "runs.csv").is_file():
        orphans = sorted((exp_dir / "outputs").glob("*.npz")) if (exp_dir / "outputs").is_dir() else []
        _require_in_store(orphans, store, f"{exp_dir / 'runs.csv'} is missing")
        return {}
    knob = cfg.family.knob
    try:
        rows = read_runs(exp_dir)
        if rows and knob not in rows[0]:
            raise ToyemergeError(f"{exp_dir} holds runs of another model family (runs.csv has no column {knob}); an "
                                 f"export never drops results: {_elsewhere(cfg, exp_dir)}")
        if bad := [r for r in rows if not r[knob].isdigit()]:
            raise ExportDamaged(f"{exp_dir / 'runs.csv'} is damaged (run {bad[0]['run_id']} has {knob} = "
                                f"{bad[0][knob]!r})")
    except ExportDamaged as damaged:  # repairable only from a store that holds every exported output
        _require_in_store(sorted((exp_dir / "outputs").glob("*.npz")), store, str(damaged).split(";")[0])
        log.warning("[%s] %s; rebuilt from the store", cfg.experiment, str(damaged).split(";")[0])
        return {}
    other = [r for r in rows if run_spec(cfg, int(r[knob]), int(r["seed"]), fingerprint).run_id != r["run_id"]]
    if other:
        example = other[0]
        raise ToyemergeError(
            f"{exp_dir} holds {len(other)} runs trained with another configuration than this one (e.g. "
            f"{_label(knob, example[knob], example['seed'])} is {example['run_id']} there, "
            f"{run_spec(cfg, int(example[knob]), int(example['seed']), fingerprint).run_id} here; "
            f"{_differences(exp_dir, cfg, fingerprint)}); an export never drops results: {_elsewhere(cfg, exp_dir)}")
    listed = {r["run_id"] for r in rows}
    unlisted = [p for p in sorted((exp_dir / "outputs").glob("*.npz")) if p.stem not in listed]
    _require_in_store(unlisted, store, f"{exp_dir / 'runs.csv'} does not list every exported output (damaged?)")
    for row in rows:
        if row.get("status", "complete") != "complete" or store.status(row["run_id"]) == "complete":
            continue  # failed runs have no outputs; the store's copy replaces a damaged one
        path = exp_dir / "outputs" / f"{row['run_id']}.npz"
        digest = sha256_file(path) if path.is_file() else None
        if digest is None or (row.get("outputs_sha256") and digest != row["outputs_sha256"]):
            state = "missing" if digest is None else "damaged (its sha256 is not the one runs.csv records)"
            raise ExportDamaged(f"{path} is {state} and the store {store.root} does not hold that run; "
                                f"{restore_hint(path)}, or retrain it.")
        row["outputs_sha256"] = row.get("outputs_sha256") or digest
    return {r["run_id"]: r for r in rows}


def _require_in_store(paths: list[Path], store: RunStore, problem: str) -> None:
    """Refuse unless the store holds a complete copy of every exported output in `paths`."""
    lost = [p for p in paths if store.status(p.stem) != "complete"]
    if lost:
        raise ExportDamaged(f"{problem}, and the store {store.root} does not hold {len(lost)} of the exported runs "
                            f"(e.g. {lost[0].name}); {restore_hint(lost[0].parent.parent / 'runs.csv')}.")


def _elsewhere(cfg: DictConfig, exp_dir: Path) -> str:
    return (f"export this configuration under its own name with experiment={cfg.experiment}_<variant>, or "
            f"move {exp_dir} away first")


def _differences(exp_dir: Path, cfg: DictConfig, fingerprint: str) -> str:
    """What differs between the existing export's config.yaml and cfg, in the sections that say what
    was trained (e.g. "train.epochs: 4 there, 8 here"), as far as config.yaml tells."""
    try:
        old = OmegaConf.to_container(OmegaConf.load(exp_dir / "config.yaml"))
    except Exception:  # noqa: BLE001 - any unreadable config.yaml: say less, refuse all the same
        return "data, model or training settings differ"
    new = OmegaConf.to_container(cfg, resolve=True)
    new.setdefault("data", {})["fingerprint"] = fingerprint
    flat_old, flat_new = _flatten({k: old.get(k) for k in _RECIPE}), _flatten({k: new.get(k) for k in _RECIPE})
    diffs = [f"{key}: {flat_old.get(key)} there, {flat_new.get(key)} here"
             for key in sorted(set(flat_old) | set(flat_new))
             if flat_old.get(key) != flat_new.get(key) and not key.startswith(("data.root", "data.allow_download",
                                                                               "family.scales"))]
    return "; ".join(diffs[:3]) if diffs else "data, model or training settings differ"


def _flatten(tree, prefix: str = "") -> dict:
    if not isinstance(tree, dict):
        return {prefix.rstrip("."): tree}
    return {k: v for key, value in tree.items() for k, v in _flatten(value, f"{prefix}{key}.").items()}


def _label(knob: str, scale, seed) -> str:
    return f"{knob}={scale} seed={seed}"


def name_runs(labels: list[str]) -> str:
    """`width=1 seed=2, width=4 seed=0, … and 5 more`: runs named as a user selects them."""
    return ", ".join(labels[:_NAMED]) + (f", … and {len(labels) - _NAMED} more" if len(labels) > _NAMED else "")


def export_experiment(cfg: DictConfig, store: RunStore) -> Path:
    """Export the family (see the module docstring): the outputs, runs.csv and config.yaml."""
    exp_dir = experiment_dir(cfg)
    fingerprint = data_fingerprint(cfg, store)
    plan = plan_export(cfg, store, fingerprint)
    log.info("[%s] exporting to %s", cfg.experiment, exp_dir)
    out_dir = exp_dir / "outputs"
    out_dir.mkdir(parents=True, exist_ok=True)
    for folder in (exp_dir, out_dir):
        remove_stale_temps(folder)
    for source, target in plan.copies:
        if not (target.is_file() and sha256_file(target) == sha256_file(source)):
            write_atomic(target, source.read_bytes())
    knob = cfg.family.knob
    write_csv(exp_dir / "runs.csv", plan.rows, RUNS_COLUMNS_FIRST + [knob] + RUNS_COLUMNS_LAST)
    write_atomic(exp_dir / "config.yaml", _config_yaml(cfg, plan.rows, fingerprint))
    log.info("[%s] exported to %s: %d runs from the store (%d added, %d updated), %d kept from the existing export, "
             "%d failed, %d not trained yet", cfg.experiment, exp_dir, len(plan.added) + len(plan.updated),
             len(plan.added), len(plan.updated), len(plan.kept), len(plan.failed), len(plan.missing))
    for what, labels in (("added", plan.added), ("updated from the store", plan.updated),
                         ("kept from the existing export", plan.kept)):
        if labels:
            log.info("[%s] %s: %s", cfg.experiment, what, name_runs(labels))
    if plan.failed:
        log.warning("[%s] %d runs failed (retry_failed=true trains them again): %s", cfg.experiment,
                    len(plan.failed), name_runs(plan.failed))
    if plan.missing:
        log.warning("[%s] %d runs not trained yet: %s", cfg.experiment, len(plan.missing), name_runs(plan.missing))
    return exp_dir


def _config_yaml(cfg: DictConfig, rows: list[dict], fingerprint: str) -> bytes:
    """The resolved config that produced the exported runs: the family as exported (every scale and
    seed it holds) and the data's fingerprint; toyemerge.figures later records its scoring settings."""
    config = OmegaConf.to_container(cfg, resolve=True)
    config.pop("hydra", None)
    knob = cfg.family.knob
    config["family"]["scales"] = sorted({int(r[knob]) for r in rows})
    config["seeds"] = sorted({int(r["seed"]) for r in rows})
    config["scale"] = config["seed"] = None
    config["data"]["fingerprint"] = fingerprint
    return OmegaConf.to_yaml(OmegaConf.create(config)).encode()
