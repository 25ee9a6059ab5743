"""Benchmark: `python -m devtools.bench` (speed goals live here, never in timed tests).

On one machine, in one run, side by side:

1. training throughput of the tutorial loop a user would write (devtools.tutorial_loop: a
   DataLoader over per-sample PIL images, batch 64, Adam) and of toyemerge's own path (the task's
   whole tensors on the device, the experiment's recipe and `compute` settings, seeds of a small
   scale batched as one vmapped model): images/s, their ratio and both final test accuracies, for
   the LeNet widths of --widths and the experiment's number of epochs;
2. wall time and peak memory (RSS of the process; GPU memory where there is one) of whole
   families, each trained by `python -m toyemerge.train` into a scratch store;
3. the time of `python -m toyemerge.figures` (re-score + every figure) on each committed export.

Writes <out>/results.json and the tables between the markers of <out>/README.md, with the machine.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

from devtools.tutorial_loop import tutorial_train, write_torchvision_mnist
from toyemerge.config import CONF_DIR, available_experiments
from toyemerge.data import load_dataset
from toyemerge.models import build_model, count_params
from toyemerge.training.fit import fit, resolve_device
from toyemerge.training.fit_seeds import fit_seeds
from toyemerge.training.sweep import batch_seeds, seeded_model
from toyemerge.training.tasks import make_task

REPO = Path(__file__).resolve().parents[1]  # the checkout: devtools/ is not installed
REAL_DATA_FAMILIES = ["mnist", "omniglot", "mnist_autoencoder", "omniglot_autoencoder"]  # CIFAR-100 is not here
START, END = "<!-- bench:start -->", "<!-- bench:end -->"


def experiment_config(name: str, *overrides: str):
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        return compose("config", overrides=[f"+exp={name}", *overrides])


def machine() -> dict:
    cpuinfo = Path("/proc/cpuinfo")
    names = [line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines()
             if line.startswith("model name")] if cpuinfo.exists() else []
    cpu = names[0] if names else platform.processor()
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu, "cores": os.cpu_count(), "torch_threads": torch.get_num_threads(),
        "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
        "python": platform.python_version(), "torch": torch.__version__,
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def ours_train(cfg, task, width: int, device: torch.device) -> dict:
    """One scale through toyemerge's training path, exactly as `toyemerge.train` runs it."""
    model_cfg = {**OmegaConf.to_container(cfg.model, resolve=True), cfg.family.knob: width}
    seeds = list(cfg.seeds) if batch_seeds(cfg, device) else [cfg.seeds[0]]
    models, generators = map(list, zip(*(seeded_model(cfg, model_cfg, seed, device) for seed in seeds), strict=True))
    if device.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    if len(models) > 1:
        fit_seeds(models, task, cfg.train, generators)
    else:
        fit(models[0], task, cfg.train, generators[0])
    if device.type == "cuda":
        torch.cuda.synchronize()
    seconds = time.perf_counter() - start
    accuracies = [float((out["pred"] == out["target"]).mean()) for out in map(task.predict, models)]
    images = len(models) * cfg.train.epochs * len(task.y_train)
    return {"images_per_second": images / seconds, "train_seconds": seconds, "models_at_once": len(models),
            "test_accuracy": statistics.fmean(accuracies)}


def step_ceiling(cfg, task, width: int, device: torch.device, channels_last: bool, n_seeds: int,
                 seconds: float = 3.0) -> float:
    """Images/s of training steps on one resident batch: the model's own cost, no data handling at all.

    No loop can train faster than this, so it bounds what any data path can gain over the tutorial.
    """
    cfg = cfg.copy()
    cfg.train.schedule, cfg.train.epochs = "constant", 1
    model_cfg = {**OmegaConf.to_container(cfg.model, resolve=True), cfg.family.knob: width}
    memory_format = torch.channels_last if channels_last else torch.preserve_format
    models = [build_model(model_cfg).to(device, memory_format=memory_format) for _ in range(n_seeds)]
    generators = [torch.Generator().manual_seed(i) for i in range(n_seeds)]
    batch = next(task.epoch_batches(cfg.train.batch_size, generators[0]))

    class OneBatch:  # the real task, handing out the same resident batch for `steps` steps
        steps = 5

        def __getattr__(self, name):
            return getattr(task, name)

        def steps_per_epoch(self, batch_size):
            return self.steps

        def epoch_batches(self, batch_size, generator):
            return iter([batch] * self.steps)

    def train_steps(steps: int) -> float:
        OneBatch.steps = steps
        start = time.perf_counter()
        if n_seeds > 1:
            fit_seeds(models, OneBatch(), cfg.train, generators)
        else:
            fit(models[0], OneBatch(), cfg.train, generators[0])
        if device.type == "cuda":
            torch.cuda.synchronize()
        return time.perf_counter() - start

    warmup = train_steps(5) / 5
    steps = max(10, int(seconds / warmup))
    return steps * n_seeds * len(batch[1]) / train_steps(steps)


def what_each_setting_buys(cfg, task, width: int, device: torch.device) -> dict:
    """Model-only images/s: plain, + channels_last, + the seeds batched (vmap), as toyemerge runs them."""
    n_seeds = len(cfg.seeds)
    return {"plain": step_ceiling(cfg, task, width, device, False, 1),
            "channels_last": step_ceiling(cfg, task, width, device, True, 1),
            "channels_last_seeds_batched": step_ceiling(cfg, task, width, device, True, n_seeds)}


def side_by_side(cfg, widths: list[int], device: torch.device, root: Path) -> list[dict]:
    """Each width trained by the tutorial loop (torchvision files under `root`) and by toyemerge's path."""
    task = make_task(cfg, device)
    rows = []
    for width in widths:
        model_cfg = {**OmegaConf.to_container(cfg.model, resolve=True), cfg.family.knob: width}
        model = build_model(model_cfg)
        n_params = count_params(model)
        tutorial = tutorial_train(model, root, cfg.train.epochs, cfg.data.mean, cfg.data.std)
        ours = ours_train(cfg, task, width, device)
        rows.append({"width": width, "n_params": n_params, "epochs": cfg.train.epochs,
                     "tutorial": tutorial, "toyemerge": ours,
                     "model_only": what_each_setting_buys(cfg, task, width, device),
                     "ratio": ours["images_per_second"] / tutorial["images_per_second"]})
        print(f"  width {width}: tutorial {tutorial['images_per_second']:,.0f} img/s "
              f"(acc {tutorial['test_accuracy']:.4f}), toyemerge {ours['images_per_second']:,.0f} img/s "
              f"(acc {ours['test_accuracy']:.4f}), ratio {rows[-1]['ratio']:.1f}x", flush=True)
    return rows


def family_run(name: str, data_root: str | None, extra: list[str]) -> dict:
    """Train a whole family into a scratch store with `toyemerge.train` (train, export, analysis, figures,
    explorer page: the whole command); its wall time and peak memory (all its processes together)."""
    with tempfile.TemporaryDirectory() as tmp:
        overrides = [f"+exp={name}", *extra, f"store={tmp}/runs", f"paths.experiments={tmp}/experiments",
                     f"paths.figures={tmp}/figures", f"hydra.run.dir={tmp}/logs"]
        if data_root:
            overrides.append(f"data.root={data_root}")
        log = Path(tmp, "train.log")
        start = time.perf_counter()
        with open(log, "w") as out:
            proc = subprocess.Popen([sys.executable, "-m", "toyemerge.train", *overrides], cwd=REPO,
                                    stdout=out, stderr=subprocess.STDOUT)
            peak_rss = watch_memory(proc)
        wall = time.perf_counter() - start
        if proc.returncode != 0:
            raise RuntimeError(f"toyemerge.train +exp={name} failed:\n{log.read_text()[-2000:]}")
        metrics = [json.loads(p.read_text()) for p in Path(tmp, "runs").glob("*/metrics.json")]
        workers = next((line.split("training in ")[1].split(" worker")[0] for line in log.read_text().splitlines()
                        if "worker processes" in line), "1")
    gpu_peaks = [m["gpu_peak_bytes"] for m in metrics if "gpu_peak_bytes" in m]
    return {"experiment": " ".join([name, *extra]), "runs": len(metrics), "wall_seconds": wall,
            "train_seconds": sum(m["train_seconds"] for m in metrics), "workers": int(workers),
            "peak_rss_bytes": peak_rss, "gpu_peak_bytes": max(gpu_peaks) if gpu_peaks else None}


def watch_memory(proc: subprocess.Popen, every: float = 0.2) -> int:
    """Wait for `proc`; the peak of the summed resident memory of it and its descendants (its worker
    processes run at once, so their memory adds up). Linux /proc; 0 where there is none."""
    peak = 0
    while proc.poll() is None:
        peak = max(peak, tree_rss(proc.pid))
        time.sleep(every)
    return peak


def tree_rss(root: int) -> int:
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
        except (OSError, IndexError, ValueError):
            continue
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        todo += children.get(pid, [])
        try:
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            continue
    return total


def tutorial_family_estimate(cfg, data_root: Path, n_train: int, batches: int = 200) -> dict:
    """How long the tutorial loop would take to train the same family one model at a time: each scale's
    tutorial throughput, measured on `batches` batches after a warm-up, times every seed's epochs."""
    rows = []
    for scale in cfg.family.scales:
        model_cfg = {**OmegaConf.to_container(cfg.model, resolve=True), cfg.family.knob: scale}
        model = build_model(model_cfg)
        tutorial_train(model, data_root, 1, cfg.data.mean, cfg.data.std, max_batches=20)  # warm-up
        rate = tutorial_train(model, data_root, 1, cfg.data.mean, cfg.data.std, max_batches=batches)
        seconds = len(cfg.seeds) * cfg.train.epochs * n_train / rate["images_per_second"]
        rows.append({"scale": scale, "n_params": count_params(model), "images_per_second": rate["images_per_second"],
                     "family_seconds": seconds})
        print(f"  tutorial at {cfg.family.knob}={scale}: {rate['images_per_second']:,.0f} img/s", flush=True)
    return {"scales": rows, "seconds": sum(r["family_seconds"] for r in rows), "seeds": len(cfg.seeds),
            "epochs": cfg.train.epochs}


def figures_time(name: str, repeats: int) -> dict | None:
    """Wall time of `python -m toyemerge.figures +exp=<name>` on a copy of its committed export."""
    source = REPO / "experiments" / name
    if not (source / "runs.csv").is_file():
        return None
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copytree(source, Path(tmp, "experiments", name))
        for _ in range(repeats):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-m", "toyemerge.figures", f"+exp={name}",
                            f"paths.experiments={tmp}/experiments", f"paths.figures={tmp}/figures",
                            f"hydra.run.dir={tmp}/logs"], cwd=REPO, check=True, capture_output=True)
            times.append(time.perf_counter() - start)
    return {"experiment": name, "seconds_min": min(times), "seconds_median": statistics.median(times),
            "repeats": repeats}


def markdown(results: dict) -> str:
    m = results["machine"]
    lines = [f"Measured {m['date']} on {m['cpu']}, {m['cores']} cores, torch {m['torch']} with "
             f"{m['torch_threads']} threads, Python {m['python']}, GPU: {m['gpu'] or 'none'}; "
             f"load average at start {m['load_average_at_start']}. Command: `{results['command']}`.", ""]
    if results["side_by_side"]:
        lines += ["| LeNet width | params | epochs | tutorial img/s | toyemerge img/s | ratio | models at once "
                  "| tutorial test acc | toyemerge test acc |", "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for r in results["side_by_side"]:
            t, o = r["tutorial"], r["toyemerge"]
            lines.append(f"| {r['width']} | {r['n_params']:,} | {r['epochs']} | {t['images_per_second']:,.0f} "
                         f"| {o['images_per_second']:,.0f} | **{r['ratio']:.1f}×** | {o['models_at_once']} "
                         f"| {t['test_accuracy']:.4f} | {o['test_accuracy']:.4f} |")
        lines += ["", "Model-only images/s (training steps on one resident batch, no data handling: the ceiling "
                  "of any loop), by setting:", "",
                  "| LeNet width | plain | + channels_last | + seeds batched (vmap) | toyemerge / best ceiling |",
                  "|---:|---:|---:|---:|---:|"]
        for r in results["side_by_side"]:
            m = r["model_only"]
            lines.append(f"| {r['width']} | {m['plain']:,.0f} | {m['channels_last']:,.0f} "
                         f"| {m['channels_last_seeds_batched']:,.0f} "
                         f"| {r['toyemerge']['images_per_second'] / max(m.values()):.0%} |")
        lines.append("")
    if results["families"]:
        lines += ["Whole families from an empty store: `python -m toyemerge.train +exp=<name>` (train, export, "
                  "analysis, figures, explorer page), wall time and peak memory of all its processes together:", "",
                  "| family | runs | worker processes | wall time | Σ per-model train time | peak memory "
                  "| peak GPU memory |", "|---|---:|---:|---:|---:|---:|---:|"]
        for r in results["families"]:
            gpu = f"{r['gpu_peak_bytes'] / 2**30:.2f} GiB" if r["gpu_peak_bytes"] else "–"
            lines.append(f"| {r['experiment']} | {r['runs']} | {r['workers']} | **{r['wall_seconds'] / 60:.1f} min** "
                         f"| {r['train_seconds'] / 60:.1f} min | {r['peak_rss_bytes'] / 2**30:.2f} GiB | {gpu} |")
        if len(results["families"]) > 1:
            total = sum(r["wall_seconds"] for r in results["families"])
            peak = max(r["peak_rss_bytes"] for r in results["families"])
            lines.append(f"| all of the above, one after another | {sum(r['runs'] for r in results['families'])} | "
                         f"| **{total / 60:.1f} min** | | {peak / 2**30:.2f} GiB | |")
        lines.append("")
    if results.get("tutorial_family"):
        t = results["tutorial_family"]
        ours = next((r for r in results["families"] if r["experiment"] == "mnist"), None)
        lines += [f"The same MNIST family trained one model at a time with the tutorial loop (estimated: each "
                  f"scale's tutorial throughput measured on 200 batches, times {t['seeds']} seeds × {t['epochs']} "
                  f"epochs):", "", "| width | params | tutorial img/s | tutorial time for its seeds |",
                  "|---:|---:|---:|---:|"]
        for r in t["scales"]:
            lines.append(f"| {r['scale']} | {r['n_params']:,} | {r['images_per_second']:,.0f} "
                         f"| {r['family_seconds'] / 60:.1f} min |")
        lines.append(f"| **family** | | | **{t['seconds'] / 60:.1f} min** |")
        if ours:
            lines += ["", f"toyemerge's whole command (training, export, analysis, figures, page) took "
                          f"{ours['wall_seconds'] / 60:.1f} min: **{t['seconds'] / ours['wall_seconds']:.1f}×** "
                          f"faster than the tutorial loop's training alone."]
        lines.append("")
    if results["figures"]:
        lines += ["| `toyemerge.figures` on | min | median | repeats |", "|---|---:|---:|---:|"]
        for r in results["figures"]:
            lines.append(f"| {r['experiment']} | {r['seconds_min']:.1f} s | {r['seconds_median']:.1f} s "
                         f"| {r['repeats']} |")
        lines.append("")
    return "\n".join(lines)


def write_report(results: dict, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    readme = out / "README.md"
    text = readme.read_text() if readme.exists() else f"# Benchmarks\n\n{START}\n{END}\n"
    if START not in text or END not in text:
        text += f"\n{START}\n{END}\n"
    head, rest = text.split(START, 1)
    tail = rest.split(END, 1)[1]
    readme.write_text(f"{head}{START}\n{markdown(results)}\n{END}{tail}")


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m devtools.bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--widths", type=int, nargs="*", default=[1, 4, 24],
                        help="LeNet widths of the side-by-side (default: the family's smallest, middle and largest)")
    parser.add_argument("--epochs", type=int, default=None, help="epochs of both loops (default: the experiment's)")
    parser.add_argument("--families", nargs="*", default=["mnist"],
                        help="experiments whose whole family is trained and timed ('all': every one; none: skip)")
    parser.add_argument("--family-overrides", nargs="*", default=[],
                        help="Hydra overrides for every family run, e.g. +preset=lesson")
    parser.add_argument("--figures", nargs="*", default=None,
                        help="experiments whose figures rebuild is timed (default: every committed export)")
    parser.add_argument("--figure-repeats", type=int, default=3)
    parser.add_argument("--data-root", default=None, help="data root (default: $TOYEMERGE_DATA)")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks")
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    family_overrides = [f"device={args.device}"] + ([f"data.root={args.data_root}"] if args.data_root else [])
    overrides = family_overrides + ([f"train.epochs={args.epochs}"] if args.epochs is not None else [])
    cfg = experiment_config("mnist", *overrides)  # the side by side, at --epochs
    results = {"command": "python -m devtools.bench " + " ".join(sys.argv[1:] if argv is None else argv),
               "machine": machine(), "side_by_side": [], "families": [], "figures": [], "tutorial_family": None}
    families = REAL_DATA_FAMILIES if args.families == ["all"] else args.families
    arrays = load_dataset(cfg.data.name, cfg.data.root)
    with tempfile.TemporaryDirectory() as tmp:
        root = write_torchvision_mnist(arrays, Path(tmp))
        if args.widths:
            print("side by side: tutorial loop vs toyemerge", flush=True)
            results["side_by_side"] = side_by_side(cfg, args.widths, resolve_device(args.device), root)
        if "mnist" in families and not args.family_overrides:
            print("the mnist family one model at a time with the tutorial loop (throughput per scale)", flush=True)
            family_cfg = experiment_config("mnist", *family_overrides)  # the family as trained: its own epochs
            results["tutorial_family"] = tutorial_family_estimate(family_cfg, root, len(arrays["y_train"]))
    for name in families:
        print(f"family: {name}", flush=True)
        results["families"].append(family_run(name, args.data_root, args.family_overrides))
    exports = args.figures if args.figures is not None else available_experiments()
    for name in exports:
        if timing := figures_time(name, args.figure_repeats):
            print(f"figures: {name} {timing['seconds_min']:.1f} s", flush=True)
            results["figures"].append(timing)
    write_report(results, args.out)
    print(markdown(results))
    return results


if __name__ == "__main__":
    main()
