"""The benchmark runs end to end on tiny data and writes its JSON and tables (no speed is asserted)."""

import json

import pytest

from devtools import bench


@pytest.mark.slow
def test_bench_side_by_side_and_figures_write_json_and_tables(tiny_mnist_root, tmp_path):
    out = tmp_path / "bench"
    out.mkdir()
    (out / "README.md").write_text("# Benchmarks\n\nkept\n\n<!-- bench:start -->\nold\n<!-- bench:end -->\nkept too\n")
    bench.main(["--widths", "1", "--epochs", "1", "--families", "--figures", "mnist", "--figure-repeats", "1",
                "--data-root", str(tiny_mnist_root), "--device", "cpu", "--out", str(out)])
    results = json.loads((out / "results.json").read_text())
    (row,) = results["side_by_side"]
    assert row["width"] == 1 and row["n_params"] == 371 and row["epochs"] == 1
    for side in ("tutorial", "toyemerge"):
        assert row[side]["images_per_second"] > 0 and 0 <= row[side]["test_accuracy"] <= 1
    assert row["ratio"] == row["toyemerge"]["images_per_second"] / row["tutorial"]["images_per_second"]
    assert row["toyemerge"]["models_at_once"] == 1  # on a CPU seeds are not batched (compute.batch_seeds=auto)
    assert set(row["model_only"]) == {"plain", "channels_last", "channels_last_seeds_batched"}
    (figures,) = results["figures"]
    assert figures["experiment"] == "mnist" and figures["seconds_min"] > 0
    readme = (out / "README.md").read_text()
    assert "kept\n" in readme and "kept too" in readme and "old" not in readme
    assert "| 1 | 371 | 1 |" in readme and "| mnist |" in readme
