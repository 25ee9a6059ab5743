"""Write examples/lm_outputs.csv: a synthetic language-model family, one row per answer token (fixed seed).

    python examples/make_lm_example.py [OUT]   # from the repository root; OUT: default examples/lm_outputs.csv

Not any real model's outputs: 12 model sizes from 2M to 128B parameters (log-spaced) answer the same
200 questions, each with a 5-token answer. Each model's per-token accuracy is set to grow smoothly,
linearly in log N, from 0.1 at 2M to 0.95 at 128B parameters:

    p(N) = 0.1 + 0.85 · log(N / 2M) / log(128B / 2M)

Each answer token's probability of the target, p_target, is drawn from a Beta distribution with
mean p(N) (concentration 10: some tokens are harder than others), and the model then samples the
token, right with probability p_target. Per-token accuracy is smooth by construction; exact match
(all 5 tokens right, ≈ p^5, the paper's Sec. 2 argument) reads 0 or nearly for the smaller models
and then climbs: the same outputs, scored all-or-nothing, look emergent.
The file is the rescore CLI's per-example format with `group` = the question.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import numpy as np

SEED = 17
SIZES = np.geomspace(2e6, 1.28e11, 12).round().astype(np.int64)
N_QUESTIONS, ANSWER_TOKENS = 200, 5
P_SMALLEST, P_LARGEST = 0.1, 0.95
CONCENTRATION = 10.0
OUT = Path(__file__).resolve().parent / "lm_outputs.csv"


def token_probability(n_params: np.ndarray) -> np.ndarray:
    """p(N), linear in log N from P_SMALLEST at the smallest size to P_LARGEST at the largest."""
    where = np.log(np.asarray(n_params, dtype=float) / SIZES[0]) / np.log(SIZES[-1] / SIZES[0])
    return P_SMALLEST + (P_LARGEST - P_SMALLEST) * where


def size_label(n_params: int) -> str:
    return f"{n_params / 1e9:.3g}B" if n_params >= 1e9 else f"{n_params / 1e6:.3g}M"


def main(out: Path = OUT) -> None:
    rng = np.random.default_rng(SEED)
    with open(out, "w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["model", "n_params", "example_id", "group", "correct", "p_target"])
        for n_params, p in zip(SIZES, token_probability(SIZES), strict=True):
            p_target = rng.beta(CONCENTRATION * p, CONCENTRATION * (1 - p), size=(N_QUESTIONS, ANSWER_TOKENS))
            correct = rng.random(p_target.shape) < p_target
            for q in range(N_QUESTIONS):
                for t in range(ANSWER_TOKENS):
                    writer.writerow([f"lm-{size_label(n_params)}", n_params, q * ANSWER_TOKENS + t, q,
                                     int(correct[q, t]), f"{p_target[q, t]:.4g}"])


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT)
