"""Aggregate input (`--curves`): a tidy CSV of scores per task × model family × metric × model size.

    task              the task (any name)
    family            the model family (any name); a (task, family, metric) is one curve
    n_params          the model's parameter count (a positive number)
    metric            the metric's name (curves of one name are pooled in the per-metric shares)
    value             the score (a finite number)
    n_examples        optional: how many test examples the value was measured on (a positive
                      integer; empty where unknown): a value of 0 is then known only to below 1/n
    higher_is_better  optional: 1/0 (or true/false), the metric's direction; default 1. It must be
                      the same on every row of a metric

One row per curve and size: the scaling curves of BIG-bench's result files or of a paper's table.
Every mistake in the file is one InputError naming the line.
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import numpy as np

from toyemerge.analysis.curves import Curve
from toyemerge.analysis.scores import MIN_SCALES
from toyemerge.rescore.per_example import FALSE, TRUE, InputError, naming, parse_number, read_text

REQUIRED = ("task", "family", "n_params", "metric", "value")
OPTIONAL = ("n_examples", "higher_is_better")


def read_curves_csv(path: Path) -> list[Curve]:
    """The table's curves, each sorted by n_params, in order of first appearance."""
    reader = csv.DictReader(io.StringIO(read_text(path), newline=""))
    try:
        with naming(path):
            return _read(path, reader)
    except csv.Error as e:
        raise InputError(f"{path}: line {reader.line_num + 1}: not a readable CSV row ({e})") from None


def _read(path: Path, reader: csv.DictReader) -> list[Curve]:
    columns = [c.strip() for c in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise InputError(f"{path}: missing column(s) {', '.join(missing)}; found {', '.join(columns) or 'none'}. "
                         f"Required: {', '.join(REQUIRED)}; optional: {', '.join(OPTIONAL)}")
    reader.fieldnames = columns
    points: dict[tuple[str, str, str], dict[float, tuple[float, float, int]]] = {}
    direction: dict[str, tuple[bool, int]] = {}
    for line, row in enumerate(reader, start=2):
        if None in row or None in row.values():
            raise InputError(f"line {line}: {'more' if None in row else 'fewer'} fields than the header's "
                             f"{len(columns)}")
        key = tuple((row[c] or "").strip() for c in ("task", "family", "metric"))
        empty = next((c for c, v in zip(("task", "family", "metric"), key, strict=True) if not v), None)
        if empty:
            raise InputError(f"line {line}: empty {empty}")
        n_params = parse_number(row["n_params"], "n_params", line)
        if n_params <= 0:
            raise InputError(f"line {line}: n_params must be positive, got {row['n_params']!r}")
        value = parse_number(row["value"], "value", line)
        n_examples = _examples(row.get("n_examples"), line)
        higher = _direction(row.get("higher_is_better"), line)
        seen = direction.setdefault(key[2], (higher, line))
        if seen[0] != higher:
            raise InputError(f"line {line}: metric {key[2]!r} has higher_is_better {int(higher)} here but "
                             f"{int(seen[0])} on line {seen[1]}; a metric has one direction")
        curve = points.setdefault(key, {})
        if n_params in curve:
            raise InputError(f"line {line}: task {key[0]!r}, family {key[1]!r}, metric {key[2]!r} has n_params "
                             f"{n_params:g} twice (also line {curve[n_params][2]}); give one value per size")
        curve[n_params] = (value, n_examples, line)
    if not points:
        raise InputError(f"{path}: no rows")
    if all(len(c) < MIN_SCALES for c in points.values()):
        raise InputError(f"{path}: no curve has {MIN_SCALES} or more sizes; the emergence score needs "
                         f"{MIN_SCALES} (most has {max(len(c) for c in points.values())})")
    out = []
    for (task, family, metric), curve in points.items():
        sizes = sorted(curve)
        out.append(Curve(task, family, metric, np.array(sizes), np.array([curve[s][0] for s in sizes]),
                         np.array([curve[s][1] for s in sizes], dtype=float), direction[metric][0]))
    return out


def _examples(text: str | None, line: int) -> float:
    if text is None or not text.strip():
        return math.nan  # not given: unknown
    value = parse_number(text, "n_examples", line)
    if value < 1 or value != int(value):
        raise InputError(f"line {line}: n_examples must be a positive integer (or empty), got {text!r}")
    return value


def _direction(text: str | None, line: int) -> bool:
    if text is None or not text.strip():
        return True
    flag = text.strip().lower()
    if flag not in TRUE | FALSE:
        raise InputError(f"line {line}: higher_is_better must be 1/0 or true/false (or empty), got {text!r}")
    return flag in TRUE
