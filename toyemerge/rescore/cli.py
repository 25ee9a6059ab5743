"""Check an emergence claim on anyone's model family: `python -m toyemerge.rescore outputs.csv`.

Takes per-example outputs (toyemerge.rescore.per_example has the format) and writes the same
analysis `toyemerge.figures` runs on an experiment: curves.csv, emergence.csv, sharpness.csv,
resolution.csv and the figures <name>_mirage, _resolution, _sampling, _sharpness_map (.png, .pdf),
by default into <csv name>_analysis/ beside the CSV. Every mistake is one line, exit status 2.
See examples/README.md for worked examples.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from toyemerge.analysis.tables import Settings, analyze, write_tables
from toyemerge.config import compose, require_writable
from toyemerge.errors import ToyemergeError
from toyemerge.plots import analysis as analysis_figures
from toyemerge.plots.save import save_figure
from toyemerge.rescore.per_example import InputError, build_family, read_outputs_csv


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
    try:
        require_writable(out)
    except ToyemergeError as e:
        raise InputError(f"--out {out}: {str(e).split(';')[0]}") from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m toyemerge.rescore", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=per_example_format())
    parser.add_argument("csv", type=Path, help="tidy per-example outputs (format below)")
    parser.add_argument("--out", type=Path, help="output folder (default: <csv name>_analysis/)")
    parser.add_argument("--name", help="prefix of the figure files (default: the CSV's name)")
    parser.add_argument("--sharp", default="1,2,3,4,5", help="K (or L) of the table and mirage figure")
    parser.add_argument("--sharpness-max", type=int, default=None,
                        help="the sharpness map sweeps K = 1..this (default: 50, or the number of examples if fewer)")
    parser.add_argument("--resamples", type=int,
                        help="bootstrap resamples (default: conf/config.yaml; 0: no intervals)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        sharp = parse_sharp(args.sharp)
        if args.sharpness_max is not None and args.sharpness_max < 1:
            raise InputError(f"--sharpness-max takes a positive integer, got {args.sharpness_max}")
        if args.resamples is not None and args.resamples < 0:
            raise InputError(f"--resamples takes an integer ≥ 0 (bootstrap resamples; 0: no bootstrap intervals), "
                             f"got {args.resamples}")
        out = args.out or args.csv.with_name(f"{args.csv.stem}_analysis")
        if out.exists() and not out.is_dir():
            raise InputError(f"--out {out} is a file; give a folder (it is created if needed)")
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
        settings.resolution_param = max(kind.sharp_params)
        name = args.name or args.csv.stem
        result = analyze(runs, kind, settings, cache_dir=out)
        written = write_tables(out, result)
        for fig_name, fig in analysis_figures.figures(result, runs, kind, name, settings).items():
            written += save_figure(fig, out / "figures" / f"{name}_{fig_name}")
    except (InputError, ToyemergeError, ValueError) as err:
        print(f"rescore: error: {err}", file=sys.stderr)
        return 2
    except OSError as err:
        print(f"rescore: error: cannot write {err.filename or out}: {err.strerror}", file=sys.stderr)
        return 2
    print(f"rescore: {len(runs)} models, {len({r.n_params for r in runs})} sizes -> {out}")
    for path in written:
        print(f"  {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())


def per_example_format() -> str:
    from toyemerge.rescore import per_example

    return "\n\n".join(per_example.__doc__.split("\n\n")[:2])
