"""Check an emergence claim on anyone's model family: `python -m toyemerge.rescore outputs.csv`.

Per-example outputs (toyemerge.rescore.per_example has the format) get the same analysis
`toyemerge.figures` runs on an experiment: curves.csv, emergence.csv, sharpness.csv, resolution.csv
and the figures <name>_mirage, _resolution, _sampling, _sharpness_map (.png, .pdf), by default into
<csv name>_analysis/ beside the CSV. The metrics' roles are the toys' unless --claimed (or
--continuous) declares them (toyemerge.rescore.roles): e.g. exact match sharp, its continuous
counterparts smooth, compared on the same outputs.

An aggregate table of scores (`--curves table.csv`, toyemerge.rescore.curves_table) gets the
emergence score of every (task, family, metric) curve and, per metric, the share of curves that
look emergent: curve_scores.csv, metric_shares.csv and the figure <name>_emergent_share.

Every mistake is one line on stderr, exit status 2. See examples/README.md for worked examples.
"""

from __future__ import annotations

import argparse
import logging
import math
import sys
from pathlib import Path

from toyemerge.analysis import curves as aggregate
from toyemerge.analysis.tables import Settings, analyze, write_tables
from toyemerge.config import compose, require_writable
from toyemerge.errors import ToyemergeError
from toyemerge.plots import analysis as analysis_figures
from toyemerge.plots import emergent_share
from toyemerge.plots.save import save_figure
from toyemerge.rescore import roles as declared
from toyemerge.rescore.curves_table import read_curves_csv
from toyemerge.rescore.per_example import InputError, build_family, header, read_outputs_csv

DEFAULT_SHARP = "1,2,3,4,5"
PER_EXAMPLE_ONLY = ("claimed", "continuous", "lower_is_better", "sharp", "sharpness_max", "resamples")
CURVES_ONLY = ("threshold", "min_late_gain")


class Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse's own mistakes are one line too, like every other
        raise InputError(message)


def settings_from_config(resamples: int | None) -> Settings:
    """The `analysis:` defaults of conf/config.yaml (bootstrap, subset sizes, strides, fit fraction)."""
    settings = Settings.from_cfg(compose().analysis)
    if resamples is not None:
        settings.n_resamples = resamples
    return settings


def parse_sharp(text: str) -> list[int]:
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        values = []
    if not values or min(values) < 1:
        raise InputError(f"--sharp takes comma-separated positive integers (K, or L for grouped input), got {text!r}")
    return values


def require_output_folder(out: Path) -> None:
    """The output folder can be created and written, checked before the analysis writes anything."""
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out} is a file; give a folder (it is created if needed)")
    try:
        require_writable(out)
    except ToyemergeError as e:
        raise InputError(f"--out {out}: {str(e).split(';')[0]}") from None


def reject(args: argparse.Namespace, names: tuple[str, ...], why: str) -> None:
    given = [n for n in names if getattr(args, n) is not None]
    if given:
        raise InputError(f"--{given[0].replace('_', '-')} {why}")


def parser() -> Parser:
    p = Parser(prog="python -m toyemerge.rescore", description=__doc__.split("\n\n")[0],
               formatter_class=argparse.RawDescriptionHelpFormatter, epilog=input_formats())
    p.add_argument("csv", type=Path, nargs="?", help="tidy per-example outputs (format below)")
    p.add_argument("--curves", type=Path, help="an aggregate table of scores instead (format below)")
    p.add_argument("--out", type=Path, help="output folder (default: <csv name>_analysis/)")
    p.add_argument("--name", help="prefix of the figure files (default: the CSV's name)")
    roles = p.add_argument_group("per-example input: declared roles (toyemerge.rescore.roles)")
    roles.add_argument("--claimed", help="the claimed (sharp) metric: exact_match or a 1/0 column")
    roles.add_argument("--continuous", help="comma-separated continuous metrics to compare it with (default: all)")
    roles.add_argument("--lower-is-better", help="comma-separated score columns where lower is better")
    toys = p.add_argument_group("per-example input")
    toys.add_argument("--sharp", help=f"K (or L) of the table and mirage figure, toys' roles (default {DEFAULT_SHARP})")
    toys.add_argument("--sharpness-max", type=int, default=None,
                      help="the sharpness map sweeps K = 1..this (default: 50, with declared roles "
                           f"{declared.SHARPNESS_MAX}; or the number of examples if fewer)")
    toys.add_argument("--resamples", type=int, help="bootstrap resamples (default: conf/config.yaml; 0: no intervals)")
    curves = p.add_argument_group("aggregate input (--curves)")
    curves.add_argument("--threshold", type=float, help="a curve looks emergent above this oriented score "
                                                         f"(default {aggregate.DEFAULT_THRESHOLD:g})")
    curves.add_argument("--min-late-gain", type=float,
                        help="... and with more than this share of its change in the larger half of sizes "
                             f"(default {aggregate.DEFAULT_MIN_LATE_GAIN:g})")
    return p


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    out = None
    try:
        args = parser().parse_args(argv)
        run = run_curves if args.curves is not None else run_per_example
        out, summary, written = run(args)
    except (InputError, ToyemergeError, ValueError) as err:
        print(f"rescore: error: {err}", file=sys.stderr)
        return 2
    except OSError as err:
        print(f"rescore: error: cannot write {err.filename or out}: {err.strerror}", file=sys.stderr)
        return 2
    first, _, details = summary.partition("\n")
    print(f"rescore: {first} -> {out}" + (f"\n{details}" if details else ""))
    for path in written:
        print(f"  {path}")
    return 0


def run_per_example(args: argparse.Namespace) -> tuple[Path, str, list[Path]]:
    """The whole analysis of a per-example CSV; returns (output folder, summary, files written)."""
    if args.csv is None:
        raise InputError("give a per-example CSV (python -m toyemerge.rescore outputs.csv) or an aggregate table "
                         "(--curves table.csv)")
    reject(args, CURVES_ONLY, "applies to an aggregate table (--curves)")
    roles_given = any(getattr(args, n) is not None for n in ("claimed", "continuous", "lower_is_better"))
    if roles_given and args.sharp is not None:
        raise InputError("--sharp sets K of the toys' roles; with declared roles the claimed metric is the sharp "
                         "one (the sharpness map sweeps K = 1..--sharpness-max of it)")
    sharp = parse_sharp(args.sharp if args.sharp is not None else DEFAULT_SHARP)
    if args.sharpness_max is not None and args.sharpness_max < 1:
        raise InputError(f"--sharpness-max takes a positive integer, got {args.sharpness_max}")
    if args.resamples is not None and args.resamples < 0:
        raise InputError(f"--resamples takes an integer ≥ 0 (bootstrap resamples; 0: no bootstrap intervals), "
                         f"got {args.resamples}")
    out = args.out or args.csv.with_name(f"{args.csv.stem}_analysis")
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out} is a file; give a folder (it is created if needed)")
    if roles_given:
        roles = declared.resolve(header(args.csv), args.claimed, args.continuous, args.lower_is_better)
        models, has_p, has_group = read_outputs_csv(args.csv, roles.numeric, roles.flags)
        units = declared.n_units(models, has_group)
        sharpness_max = args.sharpness_max or min(declared.SHARPNESS_MAX, units)
        if sharpness_max > units:
            raise InputError(f"--sharpness-max asks for K = {sharpness_max}, more examples than each model has "
                             f"({units}); lower --sharpness-max")
        kind, runs = declared.build_family(models, has_p, has_group, roles, list(range(1, sharpness_max + 1)))
    else:
        models, has_p, has_group = read_outputs_csv(args.csv)
        units = len(models[0]["ids"])
        sharpness_max = args.sharpness_max or min(50, units)
        if not has_group and max(sharp + [sharpness_max]) > units:
            flag = "--sharp" if max(sharp) > units else "--sharpness-max"
            raise InputError(f"{flag} asks for K = {max(sharp + [sharpness_max])}, more examples than each model "
                             f"has ({units}); lower {flag}")
        kind, runs = build_family(models, has_p, has_group, sharp, list(range(1, sharpness_max + 1)))
    require_output_folder(out)
    settings = settings_from_config(args.resamples)
    if kind.sharp_params != [None]:
        settings.resolution_param = max(kind.sharp_params)
    name = args.name or args.csv.stem
    result = analyze(runs, kind, settings, cache_dir=out)
    written = write_tables(out, result)
    for fig_name, fig in analysis_figures.figures(result, runs, kind, name, settings).items():
        written += save_figure(fig, out / "figures" / f"{name}_{fig_name}")
    summary = f"{len(runs)} models, {len({r.n_params for r in runs})} sizes"
    if roles_given:
        summary += "\n" + comparison(result, kind)
    return out, summary, written


def comparison(result, kind) -> str:
    """The claimed metric beside its continuous counterparts, its prediction and its resolution, in a few
    lines (emergence.csv, curves.csv and resolution.csv have the rest)."""
    lines = []
    for r in sorted(result.table, key=lambda r: r["role"] != "sharp"):
        what = "claimed (sharp)" if r["role"] == "sharp" else "continuous (smooth)"
        lines.append(f"  {what:20} {r['metric']:22} emergence score {r['emergence_score']:8.3g}   late gain "
                     f"{r.get('late_gain', math.nan):5.2f}" + (f"   [{r['flag']}]" if r.get("flag") else ""))
    claim = next(r for r in result.table if r["role"] == "sharp")
    pred = claim.get("pred_mae", math.nan)
    lines.append(f"  {claim['metric']} predicted from {kind.smooth_name} alone: "
                 + (f"mean abs. error {pred:.2g}" if math.isfinite(pred) else "no model links the two")
                 + "; power law on the smaller sizes, extrapolated: "
                 + (claim["fit_note"] if claim.get("fit_note") else f"mean abs. error {claim['extrap_mae']:.2g}"))
    for r in result.resolution_rows:
        lines.append(f"  {claim['metric']} on {r['n']} test examples: emergence score {r['emergence_score']:.3g}, "
                     f"{r['zero_fraction']:.0%} of models read 0" + (f"   [{r['flag']}]" if r.get("flag") else ""))
    return "\n".join(lines)


def run_curves(args: argparse.Namespace) -> tuple[Path, str, list[Path]]:
    """The meta-analysis of an aggregate table; returns (output folder, summary, files written)."""
    if args.csv is not None:
        raise InputError("give either a per-example CSV or --curves TABLE, not both")
    reject(args, PER_EXAMPLE_ONLY, "applies to per-example input, not to an aggregate table (--curves)")
    threshold = aggregate.DEFAULT_THRESHOLD if args.threshold is None else args.threshold
    min_gain = aggregate.DEFAULT_MIN_LATE_GAIN if args.min_late_gain is None else args.min_late_gain
    for flag, value in (("--threshold", threshold), ("--min-late-gain", min_gain)):
        if not math.isfinite(value):
            raise InputError(f"{flag} takes a finite number, got {value}")
    out = args.out or args.curves.with_name(f"{args.curves.stem}_analysis")
    curves = read_curves_csv(args.curves)
    require_output_folder(out)
    fit_fraction = settings_from_config(None).fit_fraction  # late gain: the change above the smaller sizes
    scores = aggregate.score_curves(curves, threshold, min_gain, fit_fraction)
    shares = aggregate.metric_shares(scores, threshold, min_gain)
    written = aggregate.write_tables(out, scores, shares)
    name = args.name or args.curves.stem
    fig = emergent_share.figure(shares, threshold, min_gain, f"{name}: which metrics look emergent")
    written += save_figure(fig, out / "figures" / f"{name}_emergent_share")
    some = [r for r in shares if r["n_emergent"]]
    summary = "\n".join([f"{len(curves)} curves, {len(shares)} metrics; emergent: oriented score > {threshold:g} "
                         f"and late gain > {min_gain:g}"] +
                        [f"  {r['metric']:32} {r['n_emergent']:3d} of {r['n_scored']:3d} curves look emergent"
                         for r in some] +
                        [f"  no curve looks emergent under the other {len(shares) - len(some)} metrics"] * (
                            len(some) < len(shares)))
    return out, summary, written


def input_formats() -> str:
    from toyemerge.rescore import curves_table, per_example

    return "\n\n".join(per_example.__doc__.split("\n\n")[:2] + curves_table.__doc__.split("\n\n")[:2])


if __name__ == "__main__":
    sys.exit(main())
