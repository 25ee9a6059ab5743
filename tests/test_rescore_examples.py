"""examples/README.md states what its commands print; each command is run here and must print exactly that,
and each committed example file must be what its fixed-seed script writes."""

import csv
import re
import shlex
import subprocess
import sys

import pytest

from tests.helpers import REPO, run_in_subprocess

README = REPO / "examples" / "README.md"
PROG = "python -m toyemerge.rescore"


def documented_runs() -> list[tuple[str, list[str]]]:
    """(command, the lines it prints) for every rescore command of the README followed by a ```text block."""
    found = re.findall(r"```bash\n(python -m toyemerge\.rescore [^\n]*)\n```\n\nprints[^\n]*\n\n```text\n(.*?)```",
                       README.read_text(), flags=re.S)
    return [(command, expected.splitlines()) for command, expected in found]


def test_the_readme_shows_both_worked_examples():
    commands = [c for c, _ in documented_runs()]
    assert any("lm_outputs.csv --claimed exact_match" in c for c in commands)
    assert any("--curves examples/toy_curves.csv" in c for c in commands)


@pytest.mark.parametrize("command, expected", documented_runs(), ids=lambda v: v if isinstance(v, str) else "")
def test_each_documented_command_prints_what_the_readme_says(tmp_path, command, expected):
    args = shlex.split(command)[len(shlex.split(PROG)):]
    documented_out = args[args.index("--out") + 1]
    args[args.index("--out") + 1] = str(tmp_path / "out")
    printed = run_in_subprocess("toyemerge.rescore", *args).out.splitlines()
    assert printed[: len(expected)] == [line.replace(documented_out, str(tmp_path / "out")) for line in expected]


def test_the_readme_prose_of_the_aggregate_example(tmp_path):
    """The counts and the flag the README quotes from curve_scores.csv and metric_shares.csv."""
    run_in_subprocess("toyemerge.rescore", "--curves", "examples/toy_curves.csv", "--out", str(tmp_path))
    text = " ".join(README.read_text().split())
    counts = re.search(r"none of the (\d+) accuracy, (\d+) cross-entropy, (\d+) MSE or (\d+) log-probability", text)
    shares = {r["metric"]: r for r in csv.DictReader(open(tmp_path / "metric_shares.csv"))}
    for metric, stated in zip(("accuracy", "cross_entropy", "mse", "log_prob"), counts.groups(), strict=True):
        assert shares[metric]["n_scored"] == stated and shares[metric]["n_emergent"] == "0"
    flag = re.search(r'`reconstruction c=0.00093` curves score infinite, and `curve_scores.csv` says why: "([^"]+)"',
                     text).group(1)
    rows = [r for r in csv.DictReader(open(tmp_path / "curve_scores.csv")) if r["metric"] == "reconstruction c=0.00093"]
    assert len(rows) == 3 and {r["flag"] for r in rows} == {flag} and {r["emergence_score"] for r in rows} == {"inf"}


@pytest.mark.parametrize("script, committed", [("make_lm_example.py", "lm_outputs.csv"),
                                               ("make_curves_example.py", "toy_curves.csv")])
def test_the_committed_example_is_what_its_script_writes(tmp_path, script, committed):
    subprocess.run([sys.executable, str(REPO / "examples" / script), str(tmp_path / committed)], check=True,
                   cwd=REPO)
    assert (tmp_path / committed).read_bytes() == (REPO / "examples" / committed).read_bytes()
