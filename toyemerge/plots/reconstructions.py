"""The autoencoder family's picture: stored test images and their reconstructions at every scale.

Row 0 holds the originals; each further row one scale (its lowest seed), smallest first. Every
reconstruction is labelled with its per-image error, and framed in green when that error is below
the middle cutoff c of the config, so a reader sees what "reconstructed better than c" looks like.
Matplotlib only: the caller hands in the runs and their loaded outputs.
"""

from __future__ import annotations

import matplotlib
import numpy as np
from matplotlib.figure import Figure

from toyemerge.plots.save import RC

BELOW, ABOVE = "#1a9850", "#bbbbbb"


def lowest_seed_per_scale(runs: list[dict], knob: str) -> list[dict]:
    """The runs.csv rows of each scale's lowest seed, smallest scale first."""
    best: dict[int, dict] = {}
    for run in runs:
        scale = int(run[knob])
        if scale not in best or int(run["seed"]) < int(best[scale]["seed"]):
            best[scale] = run
    return [best[s] for s in sorted(best)]


def _show(ax, image: np.ndarray) -> None:
    if image.ndim == 2:
        ax.imshow(image, cmap="gray", vmin=0, vmax=255, interpolation="nearest")
    else:
        ax.imshow(image, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])


def reconstruction_grid(runs: list[dict], outputs: list[dict[str, np.ndarray]], knob: str, cutoffs: list[float],
                        experiment: str) -> Figure:
    """`runs`: one runs.csv row per scale (lowest_seed_per_scale), `outputs` their saved outputs."""
    cutoffs = sorted(float(c) for c in cutoffs)
    c = cutoffs[len(cutoffs) // 2]
    originals, index = outputs[0]["example_input"], outputs[0]["example_index"]
    k = len(index)
    with matplotlib.rc_context(RC):
        width, height = max(4.5, 0.7 + 0.85 * k), 0.95 * (len(runs) + 1) + 0.75  # the title needs 4.5 in
        fig = Figure(figsize=(width, height))
        # Fixed margins in inches: a constrained layout of ~90 axes takes longer than the drawing.
        fig.subplots_adjust(left=0.6 / width, right=1 - 0.05 / width, bottom=0.05 / height,
                            top=1 - 0.75 / height, wspace=0.12, hspace=0.3)
        axes = fig.subplots(len(runs) + 1, k, squeeze=False)
        for j in range(k):
            _show(axes[0, j], originals[j])
            axes[0, j].set_title(f"test #{index[j]}", fontsize=6)
            for spine in axes[0, j].spines.values():
                spine.set_visible(False)
        axes[0, 0].set_ylabel("original", fontsize=7)
        for i, (run, out) in enumerate(zip(runs, outputs, strict=True), start=1):
            if not np.array_equal(out["example_index"], index):
                raise ValueError(f"run {run['run_id']} stored other test images than {runs[0]['run_id']}")
            for j in range(k):
                err = float(out["sq_err"][index[j]])
                ax = axes[i, j]
                _show(ax, out["example_recon"][j])
                colour = BELOW if err < c else ABOVE
                for spine in ax.spines.values():
                    spine.set_visible(True)
                    spine.set_color(colour)
                    spine.set_linewidth(2.0 if err < c else 0.6)
                ax.set_title(f"{err:.4f}", fontsize=6, color=colour if err < c else "black", pad=2)
            axes[i, 0].set_ylabel(f"{knob}={run[knob]}\n{int(run['n_params']):,} p", fontsize=6)
        fig.suptitle(f"{experiment}: test images (top) and reconstructions, seed {runs[0]['seed']}\n"
                     f"number = per-image MSE; green frame = below c = {c:g}", fontsize=7,
                     y=1 - 0.08 / height, va="top")
    return fig
