"""Bootstrap CIs kept between rebuilds: recomputed only for a model whose outputs or settings changed.

The bootstrap is the one slow step of the analysis (resamples × test units × models). Its result
is a pure function of a model's saved outputs (by sha256), the metric and the bootstrap settings,
so `experiments/<exp>/bootstrap_ci.json` stores it under exactly that key.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from toyemerge.io import write_atomic

FILE = "bootstrap_ci.json"
log = logging.getLogger("toyemerge.analysis")


class CICache:
    def __init__(self, path: Path | None, settings_key: str):
        self.path, self.settings_key = path, settings_key
        self.entries: dict = {}
        self.changed = False
        if path is not None and path.is_file():
            try:
                data = json.loads(path.read_text())
                if data.get("settings") == settings_key:
                    self.entries = dict(data.get("runs", {}))
            except (OSError, ValueError, AttributeError, TypeError):  # damaged: computed again, rewritten
                log.warning("%s is unreadable; its bootstrap intervals are computed again", path)
                self.changed = True

    def get(self, run_id: str, digest: str | None, metric_keys: list[str]) -> list[tuple[float, float]] | None:
        entry = self.entries.get(run_id)
        try:
            if digest is None or entry is None or entry["sha256"] != digest:
                return None
            if not all(k in entry["ci"] for k in metric_keys):
                return None
            return [(float(entry["ci"][k][0]), float(entry["ci"][k][1])) for k in metric_keys]
        except (KeyError, TypeError, ValueError, IndexError):  # a damaged entry: computed again
            return None

    def put(self, run_id: str, digest: str | None, metric_keys: list[str], lows, highs) -> None:
        if digest is None:
            return
        self.entries[run_id] = {"sha256": digest,
                                "ci": {k: [float(lo), float(hi)] for k, lo, hi in zip(metric_keys, lows, highs,
                                                                                      strict=True)}}
        self.changed = True

    def save(self, keep: set[str]) -> None:
        """Write the cache holding only the runs in `keep` (runs no longer in the family are dropped)."""
        if self.path is None or not (self.changed or set(self.entries) - keep):
            return
        runs = {k: v for k, v in sorted(self.entries.items()) if k in keep}
        blob = json.dumps({"settings": self.settings_key, "runs": runs}, indent=1, allow_nan=True)
        write_atomic(self.path, blob.encode())
