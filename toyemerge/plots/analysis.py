"""The four analysis figures of one family: mirage, resolution, sampling density, sharpness map."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from toyemerge.analysis.tables import Analysis, Settings
from toyemerge.plots import mirage, resolution, sampling, sharpness


def figures(result: Analysis, runs, kind, name: str, settings: Settings) -> dict[str, Figure]:
    """mirage, resolution, sampling and sharpness_map of one analysis."""
    x = np.array([r.n_params for r in runs], dtype=float)
    param = result.resolution_param
    which = kind.sharp_label(param) if param is None else f"{kind.sharp_symbol} = {param}"
    where = (f"exceeds the {kind.smooth_name} score from {kind.sharp_symbol} = {result.cross:.3g}"
             if result.cross is not None else f"stays below the {kind.smooth_name} score on this grid")
    return {
        "mirage": mirage.figure(result.rows, kind, result.table, f"{name}: one set of outputs, three kinds of metric"),
        "resolution": resolution.figure(x, result.measured, result.resolution_rows, result.exact,
                                        result.sampling_model, kind, result.resolution_param,
                                        f"{name}: {which} measured on test subsets"),
        "sampling": sampling.figure(result.sampling_curves, settings.strides, f"{name}: sparser scale grids"),
        "sharpness_map": sharpness.figure([r for r in result.sweep if not r["measured"]],
                                          [r for r in result.sweep if r["measured"]], result.references, kind,
                                          f"{name}: sharp score {where}", settings.sharpness_log_x),
    }
