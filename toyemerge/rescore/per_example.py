"""Per-example input: a tidy CSV of each model's answer to each test example, as a model family.

    model       any name; one model per (architecture, size, seed)
    n_params    its parameter count (a positive number); models of equal n_params are seeds
    example_id  the test example (any label, unique within a model)
    correct     1/0 (or true/false): was this example answered right
    p_target    optional: the probability the model gave the right answer, in [0, 1]
    group       optional: for multi-item tasks, the sequence this example belongs to; the items
                of a group are its positions, in example_id order (numeric ids sort as numbers)
    <other>     optional: more columns per example, read when named by --claimed / --continuous
                (a numeric `score` such as BLEU or an edit distance is read by default there)

Without --claimed the roles are the toys': without `group` the family is scored as a classifier
(sharp metric: all K of K independent examples right); with it, as a sequence model (sharp
metric: all first L items of a group right). With --claimed they are declared
(toyemerge.rescore.roles): e.g. exact match sharp, per-token accuracy and log p(target) smooth.
Every mistake in the file is one InputError naming the line.
"""

from __future__ import annotations

import contextlib
import csv
import io
import math
from collections import defaultdict
from pathlib import Path

import numpy as np

from toyemerge.analysis.family import Run, prepare
from toyemerge.errors import ToyemergeError
from toyemerge.metrics.classification import Classification
from toyemerge.metrics.sequence import SequenceLabelling

REQUIRED = ("model", "n_params", "example_id", "correct")
TRUE, FALSE = {"1", "true", "t", "yes", "1.0"}, {"0", "false", "f", "no", "0.0"}


class InputError(ToyemergeError, ValueError):
    """A malformed input file or option; the message says what is wrong and where."""


def parse_number(text: str, what: str, line: int) -> float:
    try:
        value = float(text)
    except ValueError:
        raise InputError(f"line {line}: {what} must be a number, got {text!r}") from None
    if not math.isfinite(value):
        raise InputError(f"line {line}: {what} must be finite, got {text!r}")
    return value


def example_order(example_id: str):
    try:
        return (0, float(example_id), "")
    except ValueError:
        return (1, 0.0, example_id)


def read_text(path: Path) -> str:
    """The CSV's text: UTF-8, with or without the byte-order mark spreadsheet programs write ("CSV UTF-8")."""
    if not path.is_file():
        raise InputError(f"{path}: no such file" if not path.exists() else f"{path}: not a file")
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw[:e.start].count(b"\n") + 1
        raise InputError(f"{path}: line {line} is not UTF-8 text (byte 0x{raw[e.start]:02x}); save the file as "
                         f"UTF-8 (\"CSV UTF-8\" in a spreadsheet program)") from None


def header(path: Path) -> list[str]:
    """The CSV's column names, checked for the required ones."""
    reader = csv.DictReader(io.StringIO(read_text(path), newline=""))
    try:
        return _columns(path, reader)
    except csv.Error as e:
        raise InputError(f"{path}: line 1: not a readable CSV header ({e})") from None


def _columns(path: Path, reader: csv.DictReader) -> list[str]:
    columns = [c.strip() for c in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise InputError(f"{path}: missing column(s) {', '.join(missing)}; found {', '.join(columns) or 'none'}. "
                         f"Required: {', '.join(REQUIRED)}; optional: p_target, group")
    return columns


@contextlib.contextmanager
def naming(path: Path):
    """A mistake found on a line of `path` names the file too."""
    try:
        yield
    except InputError as e:
        if str(e).startswith("line "):
            raise InputError(f"{path}: {e}") from None
        raise


def read_outputs_csv(path: Path, numeric: tuple[str, ...] = (), flags: tuple[str, ...] = ()
                     ) -> tuple[list[dict], bool, bool]:
    """Validated models: [{model, n_params, ids, correct, p_target, groups, columns}], has_p, has_group.

    `numeric` columns are read as finite numbers, `flags` columns as 1/0 like `correct`; both land in
    each model's `columns` ({name: array in example_id order})."""
    reader = csv.DictReader(io.StringIO(read_text(path), newline=""))
    try:
        with naming(path):
            return _read_models(path, reader, numeric, flags)
    except csv.Error as e:  # e.g. a field longer than csv.field_size_limit(): not a results file
        raise InputError(f"{path}: line {reader.line_num + 1}: not a readable CSV row ({e})") from None


def _flag(text: str | None, name: str, line: int, why: str = "") -> bool:
    flag = (text or "").strip().lower()
    if flag not in TRUE | FALSE:
        raise InputError(f"line {line}: {name} must be 1/0 or true/false{why}, got {text!r}")
    return flag in TRUE


def _read_models(path: Path, reader: csv.DictReader, numeric: tuple[str, ...] = (),
                 flags: tuple[str, ...] = ()) -> tuple[list[dict], bool, bool]:
    columns = _columns(path, reader)
    absent = [c for c in (*numeric, *flags) if c not in columns]
    if absent:
        raise InputError(f"{path}: no column {absent[0]!r}; found {', '.join(columns)}")
    reader.fieldnames = columns
    has_p, has_group = "p_target" in columns, "group" in columns
    models: dict[str, dict] = {}
    for line, row in enumerate(reader, start=2):
        if None in row or None in row.values():
            raise InputError(f"line {line}: {'more' if None in row else 'fewer'} fields than the header's "
                             f"{len(columns)}")
        name = (row["model"] or "").strip()
        if not name:
            raise InputError(f"line {line}: empty model name")
        n_params = parse_number(row["n_params"], "n_params", line)
        if n_params <= 0:
            raise InputError(f"line {line}: n_params must be positive, got {row['n_params']!r}")
        model = models.setdefault(name, {"model": name, "n_params": n_params, "rows": {}})
        if model["n_params"] != n_params:
            raise InputError(f"line {line}: model {name!r} has n_params {row['n_params']} here but "
                             f"{model['n_params']:g} earlier")
        right = _flag(row["correct"], "correct", line)
        p = math.nan
        if has_p:
            p = parse_number(row["p_target"], "p_target", line)
            if not 0.0 <= p <= 1.0:
                raise InputError(f"line {line}: p_target must be in [0, 1], got {row['p_target']!r}")
        example_id = (row["example_id"] or "").strip()
        group = (row["group"] or "").strip() if has_group else ""
        if example_id in model["rows"]:
            raise InputError(f"line {line}: model {name!r} has example_id {example_id!r} twice")
        named = tuple(parse_number(row[c], c, line) for c in numeric)
        named += tuple(float(_flag(row[c], c, line, " (it is the claimed metric)")) for c in flags)
        model["rows"][example_id] = (right, p, group, named)
    if not models:
        raise InputError(f"{path}: no rows")
    if len(models) < 2:
        raise InputError(f"{path}: only one model ({next(iter(models))!r}); a family needs models of at "
                         "least 2 sizes")
    if len({m["n_params"] for m in models.values()}) < 2:
        raise InputError(f"{path}: every model has n_params = {next(iter(models.values()))['n_params']:g}; "
                         "a family needs models of at least 2 sizes")
    first = next(iter(models.values()))
    for m in models.values():  # metrics are compared across models: they must score the same examples
        if m["rows"].keys() != first["rows"].keys():
            extra = sorted(m["rows"].keys() - first["rows"].keys(), key=example_order)
            lacking = sorted(first["rows"].keys() - m["rows"].keys(), key=example_order)
            which = (f"example_id {extra[0]!r}, which {first['model']!r} has not" if extra else
                     f"no example_id {lacking[0]!r}, which {first['model']!r} has")
            raise InputError(f"{path}: model {m['model']!r} has {which} ({len(m['rows'])} and {len(first['rows'])} "
                             f"examples); every model must be scored on the same examples")
        if has_group:  # and group them alike: a unit is the same examples for every model
            moved = next((i for i in m["rows"] if m["rows"][i][2] != first["rows"][i][2]), None)
            if moved is not None:
                raise InputError(f"{path}: model {m['model']!r} puts example_id {moved!r} in group "
                                 f"{m['rows'][moved][2]!r}, model {first['model']!r} in group "
                                 f"{first['rows'][moved][2]!r}; every model must group the examples alike")
    out = []
    for m in models.values():
        ids = sorted(m["rows"], key=example_order)
        out.append({"model": m["model"], "n_params": m["n_params"], "ids": ids,
                    "correct": np.array([m["rows"][i][0] for i in ids]),
                    "p_target": np.array([m["rows"][i][1] for i in ids], dtype=float),
                    "groups": [m["rows"][i][2] for i in ids],
                    "columns": {c: np.array([m["rows"][i][3][j] for i in ids], dtype=float)
                                for j, c in enumerate((*numeric, *flags))}})
    return out, has_p, has_group


def _sequences(model: dict) -> dict[str, np.ndarray]:
    """(S, L) arrays of a grouped model: each group's items in example_id order."""
    by_group: dict[str, list[int]] = defaultdict(list)
    for i, g in enumerate(model["groups"]):
        by_group[g].append(i)  # ids are already sorted, so positions come in example_id order
    lengths = {len(v) for v in by_group.values()}
    if len(lengths) != 1:
        raise InputError(f"model {model['model']!r}: groups have different numbers of items "
                         f"({sorted(lengths)}); every group must hold the same L positions")
    index = np.array([by_group[g] for g in sorted(by_group, key=example_order)])
    return {"correct": model["correct"][index], "p_target": model["p_target"][index]}


def build_family(models: list[dict], has_p: bool, has_group: bool, sharp: list[int], grid: list[int]):
    """(task kind, runs): equal n_params are seeds 0, 1, … in order of first appearance."""
    if has_group:
        length = len(_sequences(models[0])["correct"][0])
        sharp = [v for v in sharp if v <= length] or list(range(1, length + 1))
        kind = SequenceLabelling(sharp, [v for v in grid if v <= length] or list(range(1, length + 1)))
    else:
        kind = Classification(sharp, grid)
    seen: dict[float, int] = defaultdict(int)
    runs = []
    for m in models:
        outputs = _sequences(m) if has_group else {"correct": m["correct"], "p_target": m["p_target"]}
        if not has_p:
            outputs.pop("p_target")
        seed = seen[m["n_params"]]
        seen[m["n_params"]] += 1
        runs.append(Run(m["model"], int(round(m["n_params"])), seed, kind.units(outputs)))
    return kind, prepare(runs, kind)
