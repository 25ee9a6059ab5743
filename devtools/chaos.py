"""Kill-and-damage check: `python -m devtools.chaos --kills 20 --damages 10`.

Runs a small real sweep (the real CLI on synthetic MNIST-format data) once without interruption as
the reference, then again from scratch in another folder while interrupting and damaging it:

- **kills**: SIGKILL, SIGINT (Ctrl-C) or SIGTERM at a random moment during training, while a run is
  being written, or during the export; a SIGINT or SIGTERM must end the sweep with its exit status
  (130 or 143) and one `interrupted:` line, never a traceback. After every kill the same command
  resumes the sweep.
- **damage**: once a sweep has finished, one file at a time is truncated or overwritten with
  garbage, in turn every kind of run file (config.json, metrics.json, outputs.npz, COMPLETE) and
  of export file (runs.csv, results.csv, curves.csv, emergence.csv, config.yaml,
  bootstrap_ci.json, explorer.html, an outputs/<run>.npz). `toyemerge.figures` (the export alone)
  must then either succeed or say what is damaged in one `error:` line, and the sweep command must
  repair everything from the store.

After each sweep that ran to the end it checks that every run is present, that no folder without a
valid marker is read as complete, that every .npz and JSON file loads, and that the export is
identical, bit for bit, to the reference (runs.csv compared without its train_seconds column).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path

import numpy as np

from devtools.synthetic import write_synthetic_mnist
from toyemerge.store import MARKER, RUN_FILES, RunStore

PHASES = ("train", "write", "export")
SIGNALS = (signal.SIGKILL, signal.SIGINT, signal.SIGTERM)
EXIT = {signal.SIGINT: 130, signal.SIGTERM: 143}
MAX_MISSES = 5  # a phase whose kill comes after the sweep has finished this often is given up
RUN_DAMAGE = (*RUN_FILES, MARKER)
EXPORT_DAMAGE = ("runs.csv", "results.csv", "curves.csv", "emergence.csv", "config.yaml", "bootstrap_ci.json",
                 "explorer.html", "outputs/*.npz")


def sweep_command(data_root: Path, scales: str, seeds: str, module: str = "toyemerge.train") -> list[str]:
    return [sys.executable, "-m", module, "+exp=mnist", f"data.root={data_root}",
            "data.allow_download=false", "store=runs", "paths.experiments=experiments", "paths.figures=figures",
            f"family.scales={scales}", f"seeds={seeds}", "train.epochs=2", "train.batch_size=64",
            "metrics.subset_k=[1,2,3]", "analysis.bootstrap_resamples=100", "explore.bootstrap_resamples=50",
            "compute.threads=1", "hydra.run.dir=hydra-logs/${now:%H-%M-%S-%f}"]


def run_to_end(cmd: list[str], cwd: Path) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=_env())
    if proc.returncode != 0:
        raise RuntimeError(f"sweep failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return proc


def run_and_kill(cmd: list[str], cwd: Path, phase: str, sig: int, rng: random.Random) -> str | None:
    """Start the sweep, send `sig` at a random moment of `phase`; what went wrong (or "" if nothing), or
    None if the sweep finished before the moment came."""
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env=_env(), start_new_session=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True)
    reader.start()
    store_root = cwd / "runs"
    deadline = time.monotonic() + 300
    armed_at = None
    while proc.poll() is None and time.monotonic() < deadline:
        text = "".join(lines)
        if phase == "write" and store_root.is_dir() and any(p.name.startswith(".tmp-") for p in store_root.iterdir()):
            break  # this sweep (or one of its workers) is assembling a run right now
        if armed_at is None and (
            (phase == "train" and ("data on" in text or "params" in text))
            or (phase == "export" and "] exporting to " in text)  # the export's first line; then it re-scores
        ):
            armed_at = time.monotonic() + rng.uniform(0.0, 1.5)
        if armed_at is not None and time.monotonic() >= armed_at:
            break
        time.sleep(0.0005 if phase == "write" else 0.01)
    if proc.poll() is not None:
        return None
    os.killpg(proc.pid, sig)
    proc.wait()
    reader.join(timeout=10)
    if sig == signal.SIGKILL:
        return ""
    return _check_interrupt(proc.returncode, "".join(lines), sig)


def _check_interrupt(code: int, output: str, sig: int) -> str:
    """'' if a SIGINT/SIGTERM ended the sweep as documented: its exit status and one `interrupted:` line."""
    if "Traceback" in output:
        return f"{signal.Signals(sig).name}: a traceback"
    if code == 0:
        return ""  # the signal came as the sweep was ending
    said = [line for line in output.splitlines() if line.startswith("interrupted:")]
    # Killed by the signal itself reads as the same status in a shell (128 + signal). CPython ends that
    # way when the KeyboardInterrupt was raised inside exec() of a string (a lazy import, say), even
    # though toyemerge caught it and printed its line.
    if code not in (EXIT[sig], -sig) or len(said) != 1:
        return f"{signal.Signals(sig).name}: exit status {code}, {len(said)} interrupted: lines"
    return ""


def damage(path: Path, rng: random.Random) -> str:
    """Truncate `path` to a random shorter length, or overwrite a stretch of it with random bytes."""
    data = path.read_bytes()
    if rng.random() < 0.5 or len(data) < 16:
        path.write_bytes(data[: rng.randrange(0, max(len(data), 1))])
        return "truncated"
    start = rng.randrange(0, len(data) - 8)
    path.write_bytes(data[:start] + rng.randbytes(min(64, len(data) - start)) + data[start + 64:])
    return "corrupted"


def damage_target(kind: str, work: Path, rng: random.Random) -> Path:
    if kind in RUN_DAMAGE:
        runs = sorted(p for p in (work / "runs").iterdir() if not p.name.startswith("."))
        return rng.choice(runs) / kind
    exp = work / "experiments" / "mnist"
    return rng.choice(sorted(exp.glob(kind))) if "*" in kind else exp / kind


def damage_and_repair(kind: str, work: Path, cmd: list[str], figures_cmd: list[str], rng: random.Random) -> str:
    """Damage one file of `kind`; the export alone (figures) must succeed or say so in one line; the
    sweep command must then repair it. Returns what went wrong ("" if nothing)."""
    target = damage_target(kind, work, rng)
    how = damage(target, rng)
    rel = target.relative_to(work)
    figures = subprocess.run(figures_cmd, cwd=work, capture_output=True, text=True, env=_env())
    errors = [line for line in figures.stderr.splitlines() if line.startswith("error:")]
    problem = ""
    if "Traceback" in figures.stderr:
        problem = f"{rel} {how}: figures printed a traceback"
    elif figures.returncode not in (0, 2) or (figures.returncode == 2 and len(errors) != 1):
        problem = f"{rel} {how}: figures exit {figures.returncode} with {len(errors)} error: lines"
    rebuilt = f"exit {figures.returncode} (every table and figure rebuilt from the exported outputs)"
    said = errors[0] if errors else rebuilt
    sweep = subprocess.run(cmd, cwd=work, capture_output=True, text=True, env=_env())
    if sweep.returncode != 0 or "Traceback" in sweep.stderr:
        problem = problem or f"{rel} {how}: the sweep could not repair it (exit {sweep.returncode})"
    warned = [line.split(" - ", 1)[-1] for line in (sweep.stdout + sweep.stderr).splitlines()
              if "WARNING" in line and (target.name in line or "damaged" in line)]
    repaired = f"{warned[0]} (exit {sweep.returncode})" if warned else f"exit {sweep.returncode}"
    print(f"  damaged {rel} ({how})\n    figures: {said}\n    sweep:   {repaired}", flush=True)
    return problem


def check_store(store: RunStore, run_ids: list[str]) -> dict:
    """Counts of runs present, folders that are not complete, wrongly trusted folders, unreadable files.

    A folder is wrongly trusted if the store calls it complete although one of its files does not
    load or does not have the hash its marker records.
    """
    counts = {"runs_expected": len(run_ids), "runs_complete": 0, "runs_lost": 0, "incomplete_folders": 0,
              "wrongly_trusted": 0, "corrupt_files": 0}
    for run_id in run_ids:
        if store.is_complete(run_id):
            counts["runs_complete"] += 1
        else:
            counts["runs_lost"] += 1
    for run_dir in store.root.iterdir():
        if run_dir.name.startswith("."):
            continue
        trusted = store.is_complete(run_dir.name)
        bad_files = _unreadable(run_dir)
        if not trusted:
            counts["incomplete_folders"] += 1
        elif bad_files or not _marker_matches(run_dir):
            counts["wrongly_trusted"] += 1
        if trusted:
            counts["corrupt_files"] += bad_files
    return counts


def _marker_matches(run_dir: Path) -> bool:
    import hashlib

    try:
        hashes = json.loads((run_dir / MARKER).read_text())["sha256"]
        return all(hashes[name] == hashlib.sha256((run_dir / name).read_bytes()).hexdigest() for name in RUN_FILES)
    except (OSError, ValueError, KeyError, TypeError):
        return False


def _unreadable(folder: Path) -> int:
    bad = 0
    for path in folder.rglob("*"):
        try:
            if path.suffix == ".npz":
                with np.load(path, allow_pickle=False) as f:
                    [f[name] for name in f.files]
            elif path.suffix == ".json" or path.name == MARKER:
                json.loads(path.read_text())
        except (OSError, ValueError, zipfile.BadZipFile, EOFError):
            bad += 1
    return bad


def compare_exports(reference: Path, resumed: Path) -> list[str]:
    """Files of the two exports that differ (runs.csv compared without train_seconds)."""
    differ = []
    ref_files = sorted(p.relative_to(reference) for p in reference.rglob("*") if p.is_file())
    got_files = sorted(p.relative_to(resumed) for p in resumed.rglob("*") if p.is_file())
    if ref_files != got_files:
        differ.append(f"file lists differ: {sorted(set(map(str, ref_files)) ^ set(map(str, got_files)))}")
    for rel in ref_files:
        a, b = reference / rel, resumed / rel
        if not b.is_file():
            continue
        same = _without_timing(a) == _without_timing(b) if rel.name == "runs.csv" else a.read_bytes() == b.read_bytes()
        if not same:
            differ.append(str(rel))
    return differ


def _without_timing(path: Path) -> list[dict]:
    rows = list(csv.DictReader(io.StringIO(path.read_text())))
    for row in rows:
        row.pop("train_seconds", None)
    return rows


def _env() -> dict:
    return {**os.environ, "PYTHONUNBUFFERED": "1", "TQDM_DISABLE": "1"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=20, help="number of kills (default 20)")
    parser.add_argument("--damages", type=int, default=12, help="number of damaged files (default 12)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the kill and damage schedule")
    parser.add_argument("--workdir", type=Path, default=None, help="folder for the sweeps (default: a temp dir)")
    parser.add_argument("--scales", default="[1,2,4,8]", help="family.scales of the small sweep")
    parser.add_argument("--seeds", default="[0,1]", help="seeds of the small sweep")
    args = parser.parse_args(argv)

    work = args.workdir or Path(tempfile.mkdtemp(prefix="toyemerge-chaos-"))
    data_root = write_synthetic_mnist(work / "data", n_train=2048, n_test=300)
    ref_dir, chaos_dir = work / "reference", work / "killed"
    ref_dir.mkdir(parents=True, exist_ok=True)
    chaos_dir.mkdir(parents=True, exist_ok=True)
    cmd = sweep_command(data_root, args.scales, args.seeds)
    figures_cmd = sweep_command(data_root, args.scales, args.seeds, module="toyemerge.figures")

    start = time.monotonic()
    run_to_end(cmd, ref_dir)
    print(f"reference sweep: {time.monotonic() - start:.1f} s", flush=True)

    ref_ids = [row["run_id"] for row in csv.DictReader(open(ref_dir / "experiments/mnist/runs.csv"))]
    rng = random.Random(args.seed)
    kills = {(phase, sig): 0 for phase in PHASES for sig in SIGNALS}
    totals = {"runs_expected": 0, "runs_complete": 0, "runs_lost": 0, "incomplete_folders": 0,
              "wrongly_trusted": 0, "corrupt_files": 0}
    differ: list[str] = []
    problems: list[str] = []
    damaged = attempts = cycles = 0
    kinds = [*RUN_DAMAGE, *EXPORT_DAMAGE]

    misses = dict.fromkeys(PHASES, 0)

    def kills_by_phase() -> dict[str, int]:
        return {phase: sum(n for (p, _), n in kills.items() if p == phase) for phase in PHASES}

    def next_phase() -> str:
        """The phase with the fewest kills so far, in turn training, a write, the export: a kill that came
        too late (the sweep had finished) is tried again. A phase missed MAX_MISSES times is given up,
        and reported below."""
        landed = kills_by_phase()
        order = [PHASES[(attempts + i) % len(PHASES)] for i in range(len(PHASES))]
        return min([p for p in order if misses[p] < MAX_MISSES] or order, key=landed.__getitem__)

    def check_cycle() -> None:
        """Check a sweep that was killed and resumed until it finished, against the reference."""
        nonlocal cycles
        cycles += 1
        for key, value in check_store(RunStore(chaos_dir / "runs"), ref_ids).items():
            totals[key] += value
        differ.extend(f"cycle {cycles}: {d}" for d in compare_exports(ref_dir / "experiments",
                                                                       chaos_dir / "experiments"))

    while sum(kills.values()) < args.kills or damaged < args.damages:
        phase, sig = next_phase(), SIGNALS[sum(kills.values()) % len(SIGNALS)]
        attempts += 1
        outcome = run_and_kill(cmd, chaos_dir, phase, sig, rng) if sum(kills.values()) < args.kills else None
        if outcome is None and sum(kills.values()) < args.kills:
            misses[phase] += 1
        if outcome is not None:
            kills[(phase, sig)] += 1
            problems += [f"kill {sum(kills.values())}: {outcome}"] if outcome else []
            print(f"kill {sum(kills.values()):2d}/{args.kills}  ({signal.Signals(sig).name} during {phase})"
                  f"{': ' + outcome if outcome else ''}", flush=True)
            continue
        # The resumed sweep finished (or no kill is left): check it, damage files one by one, then start over.
        run_to_end(cmd, chaos_dir)
        check_cycle()
        for _ in range(min(3, args.damages - damaged)):
            damaged += 1
            problems += [p for p in [damage_and_repair(kinds[(damaged - 1) % len(kinds)], chaos_dir, cmd,
                                                       figures_cmd, rng)] if p]
            check_cycle()
            print(f"damage {damaged:2d}/{args.damages} checked", flush=True)
        for path in (chaos_dir / "runs", chaos_dir / "experiments", chaos_dir / "figures"):
            shutil.rmtree(path, ignore_errors=True)
        attempts = 0  # a fresh sweep: its turn starts with training
    run_to_end(cmd, chaos_dir)  # the last resume, left to finish
    check_cycle()

    counts = totals
    by_phase = kills_by_phase()
    if args.kills >= len(PHASES):  # a phase whose trigger never came would pass unchecked
        problems += [f"no kill landed during {phase}" for phase, n in by_phase.items() if not n]
    by_signal = {sig: sum(n for (_, s), n in kills.items() if s == sig) for sig in SIGNALS}
    print(f"kills: {sum(kills.values())} ({', '.join(f'{n} during {p}' for p, n in by_phase.items())}; "
          f"{', '.join(f'{n} {signal.Signals(s).name}' for s, n in by_signal.items())}); "
          f"{cycles} sweeps run to the end and checked")
    print(f"damaged files: {damaged} ({', '.join(kinds[:damaged])}); each repaired by the sweep command")
    print(f"runs: {counts['runs_complete']} of {counts['runs_expected']} complete over all checked sweeps, "
          f"{counts['runs_lost']} lost")
    print(f"folders read as complete without a valid marker: {counts['wrongly_trusted']} "
          f"(incomplete folders left, never read: {counts['incomplete_folders']}); "
          f"corrupt files in complete runs: {counts['corrupt_files']}")
    print(f"interrupts and damage answered as documented (exit status, one line, no traceback): "
          f"{'yes' if not problems else 'NO: ' + '; '.join(problems)}")
    print(f"export identical to the uninterrupted sweep: {'yes' if not differ else 'NO: ' + ', '.join(differ)}")
    print(f"wall time: {time.monotonic() - start:.1f} s; work folder: {work}")
    ok = (counts["runs_lost"] == 0 and counts["corrupt_files"] == 0 and counts["wrongly_trusted"] == 0
          and not differ and not problems)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
