"""The rescore CLI (`python -m toyemerge.rescore`, run in-process): clear errors on malformed input;
round-trip of the committed MNIST outputs."""

import math

import numpy as np
import pytest

from tests.helpers import REPO, analysis_settings, read_csv, write_csv
from toyemerge.analysis import tables as report
from toyemerge.analysis.family import load_family
from toyemerge.folder import read_results
from toyemerge.metrics import Classification
from toyemerge.rescore import per_example

MNIST = REPO / "experiments" / "mnist"
EXAMPLE = REPO / "examples" / "mnist_outputs.csv"


def good_rows(sizes=(100, 1000, 10000), n=40, grouped=False):
    rng = np.random.default_rng(0)
    rows = []
    for size in sizes:
        acc = 1 - 30 / size
        for i in range(n):
            row = [f"net{size}", size, i, int(rng.random() < acc), round(float(rng.uniform(0.3, 1)), 4)]
            rows.append(row + ([i // 4] if grouped else []))
    return rows


HEADER = ["model", "n_params", "example_id", "correct", "p_target"]


@pytest.mark.parametrize("mutate, message", [
    (lambda h, r: (["model", "n_params", "correct"], [x[:2] + x[3:4] for x in r]), "missing column(s) example_id"),
    (lambda h, r: (h, r[:5] + [["netX", "big", 0, 1, 0.5]] + r[5:]), "line 7: n_params must be a number, got 'big'"),
    (lambda h, r: (h, [x for x in r if x[0] == "net100"]), "only one model ('net100')"),
    (lambda h, r: (h, [[x[0], 7] + x[2:] for x in r]), "every model has n_params = 7"),
    (lambda h, r: (h, [r[0][:3] + ["yes please", 0.5]] + r[1:]), "correct must be 1/0 or true/false"),
    (lambda h, r: (h, [r[0][:4] + [1.5]] + r[1:]), "p_target must be in [0, 1]"),
    (lambda h, r: (h, r + [r[0]]), "has example_id '0' twice"),
    (lambda h, r: (h, [r[0][:1] + [-5] + r[0][2:]] + r[1:]), "n_params must be positive"),
    (lambda h, r: (h, [r[0][:1] + [200] + r[0][2:]] + r[1:]), "has n_params 100 here but 200 earlier"),
    (lambda h, r: (h, []), "no rows"),
])
def test_malformed_input_is_one_clear_error(tmp_path, cli, mutate, message):
    header, rows = mutate(list(HEADER), good_rows())
    ran = cli("toyemerge.rescore", write_csv(tmp_path / "bad.csv", header, rows))
    assert ran.status == 2
    assert message in ran.err and ran.err.startswith("rescore: error:")
    assert not (tmp_path / "bad_analysis").exists()


def test_missing_file_and_bad_groups(tmp_path, cli):
    ran = cli("toyemerge.rescore", tmp_path / "nope.csv")
    assert ran.status == 2 and "no such file" in ran.err
    rows = good_rows(grouped=True)
    rows = [r for r in rows if r[2] != 0]  # every model's first group is one item short
    ran = cli("toyemerge.rescore", write_csv(tmp_path / "g.csv", HEADER + ["group"], rows))
    assert ran.status == 2 and "groups have different numbers of items" in ran.err


def test_grouped_input_is_scored_as_sequences(tmp_path):
    path = write_csv(tmp_path / "seq.csv", HEADER + ["group"], good_rows(grouped=True, n=80))
    models, has_p, has_group = per_example.read_outputs_csv(path)
    view, runs = per_example.build_family(models, has_p, has_group, [1, 2, 4, 9], list(range(1, 10)))
    assert view.name == "sequence" and view.sharp_params == [1, 2, 4]
    assert runs[0].units["positions"].shape == (20, 4)


@pytest.mark.skipif(not EXAMPLE.is_file(), reason="examples/mnist_outputs.csv not built yet")
def test_cli_on_the_documented_example(tmp_path, cli):
    ran = cli("toyemerge.rescore", EXAMPLE, "--out", tmp_path / "out", "--resamples", "50", "--sharpness-max", "20")
    assert ran.status == 0, ran.err
    assert "models" in ran.out
    table = read_csv(tmp_path / "out" / "emergence.csv")
    assert {r["metric"] for r in table} >= {"accuracy", "log_prob", "subset_accuracy", "subset_accuracy_sampled"}
    for fig in ("mirage", "resolution", "sampling", "sharpness_map"):
        assert (tmp_path / "out" / "figures" / f"mnist_outputs_{fig}.png").is_file()


@pytest.mark.skipif(not (MNIST / "runs.csv").is_file(), reason="the MNIST export is not committed here")
def test_rescore_round_trips_the_committed_mnist_outputs(tmp_path, cli):
    """Seed-0 MNIST outputs → tidy CSV → rescore gives the native analysis's and results.csv's numbers."""
    runs = [r for r in read_csv(MNIST / "runs.csv") if r["seed"] == "0"]
    rows = []
    for r in runs:
        with np.load(MNIST / "outputs" / f"{r['run_id']}.npz", allow_pickle=False) as f:
            correct = (f["target"] == f["pred"]).astype(int)
            p = f["p_target"].astype(float)
        pairs = enumerate(zip(correct, p, strict=True))
        rows += [[r["run_id"], r["n_params"], i, c, repr(float(q))] for i, (c, q) in pairs]
    path = write_csv(tmp_path / "mnist.csv", HEADER, rows)
    ran = cli("toyemerge.rescore", path, "--out", tmp_path / "out", "--resamples", "0", "--sharpness-max", "10")
    assert ran.status == 0, ran.err

    view = Classification([1, 2, 3, 4, 5], list(range(1, 11)))
    native = [run for run in load_family(MNIST, view) if run.seed == 0]
    native_rows = report.curve_rows(native, view, analysis_settings(n_resamples=0))
    expected = {(r["run_id"], r["metric"], r["param"]): r["value"] for r in native_rows if r["metric"] != "brier"}
    got = {(r["run_id"], r["metric"], int(r["param"]) if r["param"] else None): float(r["value"])
           for r in read_csv(tmp_path / "out" / "curves.csv")}
    assert set(got) == set(expected)
    for key, value in expected.items():
        assert got[key] == pytest.approx(value, rel=1e-12, abs=1e-15), key

    results = {(r["run_id"], r["metric"], r["param"]): r["value"] for r in read_results(MNIST / "results.csv")}
    for r in runs:
        for metric in ("accuracy", "subset_accuracy", "subset_accuracy_sampled"):
            for k in ([None] if metric == "accuracy" else [1, 3, 5]):
                assert got[(r["run_id"], metric, k)] == pytest.approx(results[(r["run_id"], metric, k)], rel=1e-9)
        ce = results[(r["run_id"], "cross_entropy", None)]
        assert -got[(r["run_id"], "log_prob", None)] == pytest.approx(ce, rel=1e-6) or math.isclose(ce, 0)


GOOD = "model,n_params,example_id,correct\n" + "".join(
    f"m{s},{s},{i},{int((i * 7 + s) % 10 < 8)}\n" for s in (10, 100, 1000) for i in range(30))


@pytest.mark.parametrize("content, args, message", [
    (GOOD.encode().replace(b"m10,", b"m\xe910,", 1), [], "line 2 is not UTF-8 text (byte 0xe9); save the file"),
    (GOOD.encode() + b"x" * 200_000 + b",10,1,1\n", [], "line 92: not a readable CSV row (field larger than"),
    (GOOD.encode() + b"m10,10\n", [], "in.csv: line 92: fewer fields than the header's 4"),
    (GOOD.replace("m1000,1000,29,", "m1000,1000,31,").encode(), [],
     "model 'm1000' has example_id '31', which 'm10' has not"),
    (GOOD.encode(), ["--sharp", "a,b"], "--sharp takes comma-separated positive integers"),
    (GOOD.encode(), ["--sharp", "1,40"], "--sharp asks for K = 40, more examples than each model has (30)"),
    (GOOD.encode(), ["--sharpness-max", "50"], "--sharpness-max asks for K = 50, more examples than each model has"),
    (GOOD.encode(), ["--resamples", "-5"], "--resamples takes an integer ≥ 0"),
])
def test_input_mistakes_are_one_line_and_write_nothing(tmp_path, cli, content, args, message):
    path = tmp_path / "in.csv"
    path.write_bytes(content)
    ran = cli("toyemerge.rescore", path, *args)
    assert ran.status == 2 and message in ran.err and ran.err.count("\n") == 1
    assert not (tmp_path / "in_analysis").exists()


def test_a_spreadsheet_csv_with_a_byte_order_mark_is_read(tmp_path, cli):
    path = tmp_path / "excel.csv"
    path.write_bytes(b"\xef\xbb\xbf" + GOOD.encode())
    ran = cli("toyemerge.rescore", path, "--resamples", "0")
    assert ran.status == 0, ran.err
    assert (tmp_path / "excel_analysis" / "emergence.csv").is_file()


@pytest.mark.parametrize("out", ["a file", "unwritable"])
def test_an_output_folder_that_cannot_be_written_is_one_line(tmp_path, cli, monkeypatch, out):
    path = tmp_path / "in.csv"
    path.write_text(GOOD)
    target = tmp_path / "taken"
    if out == "a file":
        target.write_text("keep me")
    else:
        import toyemerge.config

        def read_only(*args, **kwargs):
            raise PermissionError(30, "Read-only file system")
        monkeypatch.setattr(toyemerge.config.tempfile, "mkstemp", read_only)
    ran = cli("toyemerge.rescore", path, "--out", target, "--resamples", "0")
    assert ran.status == 2 and ran.err.count("\n") == 1
    assert ("is a file; give a folder" if out == "a file" else "Read-only file system") in ran.err
    if out == "a file":
        assert target.read_text() == "keep me"
