"""The sweep: train every (scale, seed) of a family that the run store does not already hold.

Each model's per-example test outputs are saved as a run (toyemerge.store). `scale=` and `seed=`
restrict the sweep to one value each (for launcher jobs). Sweeps sharing one store never train the
same run at once (per-run locks); a run whose loss turns non-finite is recorded as failed with its
reason and the sweep goes on; an interrupt says what was kept.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Iterator
from multiprocessing import resource_tracker

import torch
from omegaconf import DictConfig, OmegaConf
from tqdm import tqdm

from toyemerge.config import require_writable
from toyemerge.errors import Interrupted, Terminated, ToyemergeError
from toyemerge.metrics import task_kind
from toyemerge.models import build_model, count_params
from toyemerge.store import RunStore, remove_stale_temps
from toyemerge.training.family import RunSpec, data_fingerprint, run_specs
from toyemerge.training.fit import NonFiniteLossError, fit, resolve_device, seed_everything, set_threads
from toyemerge.training.fit_seeds import fit_seeds
from toyemerge.training.tasks import make_task

log = logging.getLogger("toyemerge.train")


def seeded_model(cfg: DictConfig, model_cfg: dict, seed: int,
                 device: torch.device) -> tuple[torch.nn.Module, torch.Generator]:
    """A freshly initialised model (global RNG seeded first) in the configured memory format, and its
    data-order generator: how every run of the family starts."""
    generator = seed_everything(seed)
    memory_format = torch.channels_last if cfg.compute.channels_last else torch.preserve_format
    return build_model(model_cfg).to(device, memory_format=memory_format), generator


def train_run(cfg: DictConfig, task, spec: RunSpec, store: RunStore, device: torch.device) -> dict:
    """Train one model of the family, score its outputs and save the run; return its metrics."""
    reset_peak_memory(device)
    with out_of_memory_is_an_error(cfg, [spec], device):
        model, generator = seeded_model(cfg, spec.config["model"], spec.seed, device)
        try:
            stats = fit(model, task, cfg.train, generator, desc=f"[{cfg.experiment}] {run_label(cfg, spec)}")
        except NonFiniteLossError as e:
            stats = {"failed": str(e)}
    return finish_run(cfg, task, spec, store, model, stats, device)


@contextlib.contextmanager
def out_of_memory_is_an_error(cfg: DictConfig, specs: list[RunSpec], device: torch.device) -> Iterator[None]:
    """A model (or batch) too large for the device's memory: one line naming the scale, not a traceback."""
    try:
        yield
    except (MemoryError, torch.cuda.OutOfMemoryError, RuntimeError) as e:
        if not isinstance(e, (MemoryError, torch.cuda.OutOfMemoryError)) and "alloc" not in str(e).lower():
            raise
        first_line = str(e).strip().splitlines()[0][:200] if str(e).strip() else type(e).__name__
        raise ToyemergeError(f"{cfg.family.knob}={specs[0].scale} does not fit in the memory of {device} "
                             f"({first_line}); the runs finished so far are kept. Choose smaller family.scales, or "
                             f"a smaller train.batch_size / train.eval_batch_size.") from None


def train_seed_group(cfg: DictConfig, task, specs: list[RunSpec], store: RunStore, device: torch.device) -> list[dict]:
    """Train the seeds of one scale as one vmapped model (toyemerge.training.fit_seeds), then save each run."""
    reset_peak_memory(device)
    with out_of_memory_is_an_error(cfg, specs, device):
        models, generators = zip(*(seeded_model(cfg, spec.config["model"], spec.seed, device) for spec in specs),
                                 strict=True)
        seeds = ",".join(str(spec.seed) for spec in specs)
        desc = f"[{cfg.experiment}] {cfg.family.knob}={specs[0].scale} seeds={seeds}"
        stats = fit_seeds(list(models), task, cfg.train, list(generators), desc=desc)
    return [finish_run(cfg, task, spec, store, model, run_stats, device)
            for spec, model, run_stats in zip(specs, models, stats, strict=True)]


def finish_run(cfg: DictConfig, task, spec: RunSpec, store: RunStore, model: torch.nn.Module, stats: dict,
               device: torch.device) -> dict:
    """Score a trained model's test outputs and save the run (or record its failure)."""
    n_params = count_params(model)
    label = run_label(cfg, spec)
    if "failed" in stats:
        store.save_failed(spec.run_id, spec.config, stats["failed"], {"n_params": n_params})
        return {"label": label, "n_params": n_params, **stats}
    start = time.perf_counter()
    outputs = task.predict(model)
    kind = task_kind(cfg.task).from_metrics_cfg(cfg.metrics)
    kind.table(outputs, cfg.metrics)  # a metric config that cannot work (K > test set) fails before any save
    test = kind.summary(outputs)
    metrics = {"n_params": n_params, **stats, "eval_seconds": time.perf_counter() - start,
               "test": test, "device": str(device), "torch": torch.__version__}
    if device.type == "cuda":  # the peak of this run (or of its seed group) since reset_peak_memory
        metrics["gpu_peak_bytes"] = torch.cuda.max_memory_allocated(device)
    store.save(spec.run_id, spec.config, metrics, outputs)
    return {"label": label, **metrics}


def report_run(cfg: DictConfig, summary: dict) -> None:
    """The one line a trained (or failed) model prints: scale, seed, parameters, seconds, test metrics."""
    if "failed" in summary:
        log.error("[%s] %s  params %s  FAILED: %s (recorded; the sweep goes on)", cfg.experiment, summary["label"],
                  f"{summary['n_params']:,}", summary["failed"])
        return
    smooth = "  ".join(f"test {k} {v:.4f}" for k, v in summary["test"].items())
    log.info("[%s] %s  params %s  %.1f s  %s", cfg.experiment, summary["label"], f"{summary['n_params']:,}",
             summary["train_seconds"], smooth)


def reset_peak_memory(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)


def run_label(cfg: DictConfig, spec: RunSpec) -> str:
    return f"{cfg.family.knob}={spec.scale} seed={spec.seed}"


def batch_seeds(cfg: DictConfig, device: torch.device) -> bool:
    """Whether the seeds of a scale train as one vmapped model (config `compute.batch_seeds`).

    `auto`: on a GPU, where tiny models are bound by per-step kernel launches. Not on a CPU: there
    the batched (grouped) convolutions measured slower than the plain ones on an idle machine,
    and up to 75x slower with two threads on shared cores (benchmarks/README.md).
    """
    mode = cfg.compute.batch_seeds
    return device.type == "cuda" if mode == "auto" else bool(mode)


def needs_training(status: str, retry_failed: bool) -> bool:
    """A run in the store needs training when missing, corrupt, or failed and retry_failed is set."""
    return status in ("missing", "corrupt") or (status == "failed" and retry_failed)


def pending(cfg: DictConfig, store: RunStore, specs: list[RunSpec]) -> list[RunSpec]:
    """The runs still to train, saying why a corrupt or failed run is (or is not) among them."""
    todo = []
    for spec in specs:
        status = store.status(spec.run_id)
        if status == "corrupt":
            log.warning("[%s] run %s is damaged (a file of it is not the one its marker records): training it again",
                        cfg.experiment, spec.run_id)
        if status == "failed" and not cfg.retry_failed:
            log.warning("[%s] run %s failed before (%s); retry_failed=true trains it again", cfg.experiment,
                        spec.run_id, store.failure(spec.run_id)["reason"])
        if needs_training(status, cfg.retry_failed):
            todo.append(spec)
    return todo


def train_family(cfg: DictConfig) -> None:
    """Train what the store lacks; everything that can be refused is refused before training."""
    set_threads(cfg.compute.threads)
    device = resolve_device(cfg.device)
    store = RunStore(cfg.store)
    specs = run_specs(cfg, fingerprint=data_fingerprint(cfg))
    require_writable(store.root)
    if removed := remove_stale_temps(store.root):
        log.info("[%s] removed %d temporary files left by killed sweeps", cfg.experiment, removed)
    try:
        train_pending(cfg, store, specs, device)
    except KeyboardInterrupt as interrupt:
        done = sum(store.status(spec.run_id) in ("complete", "failed") for spec in specs)
        lost = ("nothing was being trained; the export did not run" if done == len(specs)
                else "what was being trained was dropped")
        raise Interrupted(f"{done} of the {len(specs)} runs of this sweep are finished in {store.root} and kept; "
                          f"{lost}. Run the same command again to resume (finished runs are never trained again).",
                          isinstance(interrupt, Terminated)) from None


def train_pending(cfg: DictConfig, store: RunStore, specs: list[RunSpec], device: torch.device) -> None:
    """Train every run of `specs` that the store lacks, under the runs' locks: in this process, one
    scale at a time, or spread over worker processes (`compute.workers`)."""
    todo = pending(cfg, store, specs)
    one_model = len(specs) == len(todo) == 1  # a launcher job: the model's own line says it all
    log.log(logging.DEBUG if one_model else logging.INFO, "[%s] %d runs selected: %d already in %s, %d to train",
            cfg.experiment, len(specs), len(specs) - len(todo), store.root, len(todo))
    groups = work_items(cfg, todo, device)
    trainer = Trainer(cfg, store, device, quiet=one_model)
    n_workers = workers(cfg, device, len(groups))
    if n_workers > 1:
        held_elsewhere = train_in_workers(cfg, groups, device, n_workers)
    else:
        held_elsewhere = [spec for group in groups for spec in trainer.train_if_free(group, wait=False)]
    for spec in held_elsewhere:  # wait for the other sweep; train the run ourselves if it died
        trainer.train_if_free([spec], wait=True)


def work_items(cfg: DictConfig, todo: list[RunSpec], device: torch.device) -> list[list[RunSpec]]:
    """What one process trains at a time: a run, or the seeds of a scale when they train as one
    vmapped model (compute.batch_seeds). Largest scales first, so that workers finish together."""
    if batch_seeds(cfg, device):
        groups = [list(group) for _, group in itertools.groupby(todo, key=lambda spec: spec.scale)]
    else:
        groups = [[spec] for spec in todo]
    return sorted(groups, key=lambda group: -group[0].scale)


def workers(cfg: DictConfig, device: torch.device, n_items: int) -> int:
    """How many processes train at once (config `compute.workers`).

    `auto`: on a CPU, one per core (each with compute.threads threads, default 1) when there are at
    least two runs per process to train: measured here, two 1-thread processes train a family
    ~1.7-2× faster than one 2-thread process, and a process costs ~2 s to start. On a GPU, 1.
    """
    mode = cfg.compute.workers
    if mode != "auto":
        return max(1, min(int(mode), n_items))
    if device.type != "cpu":
        return 1
    per_core = max(1, (os.cpu_count() or 1) // (cfg.compute.threads or 1))
    return max(1, min(per_core, n_items // 2))


class Trainer:
    """Trains runs of one family in this process, loading the data once, when first needed."""

    def __init__(self, cfg: DictConfig, store: RunStore, device: torch.device, quiet: bool = False,
                 report=None):
        self.cfg, self.store, self.device, self.quiet = cfg, store, device, quiet
        self.report = report or (lambda summary: report_run(cfg, summary))
        self.task = None

    def train_if_free(self, specs: list[RunSpec], wait: bool) -> list[RunSpec]:
        """Train those of `specs` (one run, or one scale's seeds) that this process can lock and that
        still need training; return those another sweep holds."""
        cfg, store = self.cfg, self.store
        with contextlib.ExitStack() as locks:
            held = [spec for spec in specs if locks.enter_context(store.lock(spec.run_id, wait=wait))]
            todo = [spec for spec in held if needs_training(store.status(spec.run_id), cfg.retry_failed)]
            if todo and self.task is None:  # load the data only when something needs training
                start = time.perf_counter()
                self.task = make_task(cfg, self.device)
                log.log(logging.DEBUG if self.quiet else logging.INFO, "[%s] data on %s in %.1f s",
                        cfg.experiment, self.device, time.perf_counter() - start)
            if len(todo) > 1 and batch_seeds(cfg, self.device):
                summaries = train_seed_group(cfg, self.task, todo, store, self.device)
            else:
                summaries = [train_run(cfg, self.task, spec, store, self.device) for spec in todo]
            for summary in summaries:
                self.report(summary)
        return [spec for spec in specs if spec not in held]


@contextlib.contextmanager
def stop_signals_held():
    """Hold Ctrl-C and SIGTERM back while the pool spawns its workers; answer them after.

    A terminal's Ctrl-C (or a SIGTERM to the group) reaches every process of the group. Answered inside
    multiprocessing's set-up, it could leave a semaphore behind, so here both are only noted until the
    pool exists. A worker inherits this thread's blocked Ctrl-C through exec and keeps it blocked until
    _start_worker ignores it: a Ctrl-C never prints the traceback of a worker that still imports torch.
    SIGTERM is not blocked: the workers must die of it (the pool stops them with it) from the start."""
    resource_tracker.ensure_running()  # it unblocks both signals around its own spawn (CPython bpo-33613)
    noted: list[int] = []
    handlers = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    for signum in handlers:
        signal.signal(signum, lambda signum, frame: noted.append(signum))
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
        for signum, handler in handlers.items():
            signal.signal(signum, handler)
        if noted:
            signal.raise_signal(noted[0])  # answered as if it came now


def train_in_workers(cfg: DictConfig, groups: list[list[RunSpec]], device: torch.device, n_workers: int
                     ) -> list[RunSpec]:
    """Train `groups` in `n_workers` worker processes (spawned: a fresh interpreter each), each
    with compute.threads threads (default 1); return the runs another sweep held. Each worker loads
    the data once; its models' lines are printed here as they finish. Ctrl-C or SIGTERM stop the
    workers at once: a run being trained is dropped, the finished ones are kept."""
    threads = cfg.compute.threads or 1
    config = OmegaConf.to_container(cfg, resolve=True)
    log.info("[%s] training in %d worker processes of %d thread(s) each", cfg.experiment, n_workers, threads)
    context = multiprocessing.get_context("spawn")
    pool = None
    held_elsewhere: list[RunSpec] = []
    try:
        with stop_signals_held():
            pool = context.Pool(n_workers, initializer=_start_worker,
                                initargs=(config, str(device), threads, os.getpid()))
        for summaries, held in pool.imap_unordered(_train_in_worker, groups):
            for summary in summaries:
                report_run(cfg, summary)
            held_elsewhere += held
        pool.close()
    except BaseException:
        if pool is not None:
            pool.terminate()  # the workers' unfinished runs stay unpublished; their temporaries are cleared next time
        raise
    finally:
        if pool is not None:
            pool.join()
    return held_elsewhere


_WORKER: dict = {}  # a worker process's Trainer


def _start_worker(config: dict, device: str, threads: int, parent: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the sweep's main process answers Ctrl-C and stops the workers
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})  # blocked since its spawn (stop_signals_held)
    signal.signal(signal.SIGTERM, _stop_worker)
    os.environ["TQDM_DISABLE"] = "1"  # the main process prints each model's line
    # tqdm's default lock is a multiprocessing semaphore, registered with the resource tracker: a worker
    # that the pool stops would leave it behind, and the tracker would warn at exit.
    tqdm.set_lock(threading.RLock())
    torch.set_num_threads(threads)
    threading.Thread(target=_exit_with, args=(parent,), daemon=True).start()
    cfg = OmegaConf.create(config)
    _WORKER["summaries"] = []
    _WORKER["trainer"] = Trainer(cfg, RunStore(cfg.store), torch.device(device), quiet=True,
                                 report=_WORKER["summaries"].append)


def _stop_worker(signum: int, frame) -> None:
    """SIGTERM (from the pool, or sent to the whole group): leave by an exception, not by the signal's
    default, so that a worker waiting for work releases the pool's queue lock on the way out; dead with
    the lock held, it would hang the main process's pool.terminate() (CPython's Pool has no timeout).
    A second SIGTERM (the pool's own, after one to the group) then ends it outright, not mid-exit."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    raise SystemExit(128 + signum)


def _train_in_worker(specs: list[RunSpec]) -> tuple[list[dict], list[RunSpec]]:
    held_elsewhere = _WORKER["trainer"].train_if_free(specs, wait=False)
    summaries, _WORKER["summaries"][:] = list(_WORKER["summaries"]), []
    return summaries, held_elsewhere


def _exit_with(parent: int) -> None:
    """Stop this worker when the sweep that started it is gone (killed outright, say)."""
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(1)
