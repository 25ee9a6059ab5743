"""Scale-out through Hydra's launcher plugins: one job per (scale, seed), one export at the end.

`python -m toyemerge.train +exp=mnist +launch=joblib` (presets in conf/launch/) is a multirun whose
sweep is the family grid, `${sweep_values:${family.scales}}` × `${sweep_values:${seeds}}`, so each
job trains one model into the run store with export=false. Once every job has finished, the
`ExportAfterSweep` callback (conf/config.yaml, hydra.callbacks) exports experiments/<exp>/ and
redraws its figures once, in the launching process. Torch-free: every entry point loads it (Hydra
instantiates the callbacks of conf/config.yaml), and the export is imported only when it runs.
"""

from __future__ import annotations

import logging
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf

from toyemerge.config import available_experiments, require_experiment
from toyemerge.errors import fail, user_errors

log = logging.getLogger("toyemerge.launch")


def sweep_values(values: Any) -> str:
    """A config list as Hydra's sweep syntax, [1, 2, 4] -> "1,2,4" (hydra.sweeper.params takes override strings)."""
    if isinstance(values, str | int):
        return str(values)
    return ",".join(str(v) for v in values)


def register_resolvers() -> None:
    """Make `${sweep_values:...}` available; call before Hydra composes a config that uses it."""
    if not OmegaConf.has_resolver("sweep_values"):
        OmegaConf.register_new_resolver("sweep_values", sweep_values)


def without_hydra(config: DictConfig) -> DictConfig:
    """The application config alone, as a job sees it (the multirun's hydra node has unresolvable keys)."""
    return OmegaConf.masked_copy(config, [key for key in config if key != "hydra"])


class ExportAfterSweep(Callback):
    """After a multirun of `toyemerge.train` jobs that ran with export=false, export the family once.

    Jobs that exported themselves (export=true, the default of a plain `-m` sweep) need nothing more.
    A job that raised stops the sweep before this runs: `python -m toyemerge.export +exp=<name>` then
    exports what the store holds and names the runs still missing.
    """

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        preset = config.hydra.runtime.choices.get("launch")
        if preset and not config.get("experiment"):  # else the grid's ${family.scales} fails with a traceback
            raise fail(f"error: +launch={preset} sweeps the family of one experiment: add +exp=<name> "
                       f"(one per sweep). Available: {', '.join(available_experiments())}.")
        if preset and config.get("export", True) is False:  # refuse now what the export after the sweep would
            with user_errors():
                from toyemerge.store import RunStore
                from toyemerge.training.export import plan_export

                app = without_hydra(config)
                require_experiment(app)
                plan_export(app, RunStore(app.store), require_runs=False)

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        if config.hydra.job.name != "train" or config.get("export", True):
            return
        if not config.get("experiment"):  # +exp=a,b swept: the master config names no experiment
            log.warning("jobs ran with export=false: export each experiment with "
                        "python -m toyemerge.export +exp=<name>")
            return
        from toyemerge.export import export_and_rebuild  # the figures stack loads only when needed

        log.info("[%s] all jobs finished: exporting the family once", config.experiment)
        with user_errors():
            export_and_rebuild(without_hydra(config))
