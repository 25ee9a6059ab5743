"""A run's id covers the data it was trained on; data that cannot be trained on is refused, in one line."""

import os

import numpy as np
import pytest

import toyemerge.data.fingerprint as fingerprint
from devtools.synthetic import write_synthetic_mnist
from tests.helpers import compose, tiny_family
from toyemerge.data import dataset_fingerprint, load_dataset
from toyemerge.data.prepared import BadDataError
from toyemerge.training.family import run_specs


@pytest.fixture(autouse=True)
def own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("TOYEMERGE_CACHE", str(tmp_path / "cache"))


def ids(tmp_path, data_root):
    return [s.run_id for s in run_specs(compose(*tiny_family(tmp_path, data_root)))]


def test_other_data_in_the_same_format_gets_other_run_ids(tmp_path):
    a = write_synthetic_mnist(tmp_path / "a", n_train=512, n_test=200, seed=0)
    b = write_synthetic_mnist(tmp_path / "b", n_train=512, n_test=200, seed=1)
    moved = write_synthetic_mnist(tmp_path / "elsewhere", n_train=512, n_test=200, seed=0)
    assert set(ids(tmp_path, a)).isdisjoint(ids(tmp_path, b))
    assert ids(tmp_path, a) == ids(tmp_path, moved)  # where the data lie is not part of the id


def test_a_store_trained_on_other_data_is_not_served(tmp_path):
    from toyemerge.store import RunStore
    from toyemerge.train import run as train_family

    a = write_synthetic_mnist(tmp_path / "a", n_train=512, n_test=200, seed=0)
    b = write_synthetic_mnist(tmp_path / "b", n_train=512, n_test=200, seed=1)
    train_family(compose(*tiny_family(tmp_path, a, "export=false")))
    store = RunStore(tmp_path / "runs")
    assert not any(store.is_complete(run_id) for run_id in ids(tmp_path, b))  # b's family still to train


def test_the_fingerprint_is_cached_by_size_and_mtime(tmp_path, monkeypatch):
    root = write_synthetic_mnist(tmp_path / "d", n_train=64, n_test=20)
    first = dataset_fingerprint("mnist", root)  # converts the raw files to mnist.npz, hashes, caches
    calls = []
    real = fingerprint.arrays_fingerprint
    monkeypatch.setattr(fingerprint, "arrays_fingerprint", lambda arrays: calls.append(1) or real(arrays))
    assert dataset_fingerprint("mnist", root) == first and calls == []  # served from the cache
    os.utime(root / "mnist.npz", ns=(1, 1))  # touched: hashed again, same content, same fingerprint
    assert dataset_fingerprint("mnist", root) == first and calls == [1]


def test_a_damaged_cache_only_costs_a_second_hash(tmp_path):
    root = write_synthetic_mnist(tmp_path / "d", n_train=64, n_test=20)
    first = dataset_fingerprint("mnist", root)
    (tmp_path / "cache" / "fingerprints.json").write_text("{not json")
    assert dataset_fingerprint("mnist", root) == first


def arrays(n_train=64, n_test=20, side=28, labels=10):
    rng = np.random.default_rng(0)
    return {"x_train": rng.integers(0, 255, (n_train, side, side), dtype=np.uint8),
            "y_train": rng.integers(0, labels, n_train).astype(np.int64),
            "x_test": rng.integers(0, 255, (n_test, side, side), dtype=np.uint8),
            "y_test": rng.integers(0, labels, n_test).astype(np.int64)}


@pytest.mark.parametrize("change, message", [
    (dict(y_train=np.zeros(10, np.int64)), "64 images in x_train but 10 labels in y_train"),
    (dict(y_test=np.full(20, 12, np.int64)), "y_test holds labels 12 … 12; expected 0 … 9"),
    (dict(x_train=np.zeros((64, 32, 32), np.uint8)), "x_train holds images of shape (32, 32); expected (28, 28)"),
    (dict(x_test=np.zeros((0, 28, 28), np.uint8), y_test=np.zeros(0, np.int64)), "x_test holds no images"),
])
def test_data_that_cannot_be_trained_on_is_one_clear_error(tmp_path, change, message):
    np.savez(tmp_path / "mnist.npz", **{**arrays(), **change})
    with pytest.raises(BadDataError) as err:
        load_dataset("mnist", tmp_path, allow_download=False)
    assert message in str(err.value) and str(tmp_path / "mnist.npz") in str(err.value)


@pytest.mark.parametrize("damage, message", [
    (lambda raw: raw[:2] + b"\x42" + raw[3:], "is not an IDX file (bad magic number"),
    (lambda raw: raw[: len(raw) // 2], "the IDX header says"),
])
def test_damaged_raw_idx_files_are_one_clear_error(tmp_path, damage, message):
    import gzip

    root = write_synthetic_mnist(tmp_path, n_train=64, n_test=20)
    path = root / "MNIST/raw/train-images-idx3-ubyte.gz"
    raw = gzip.decompress(path.read_bytes())
    path.write_bytes(gzip.compress(damage(raw)))
    with pytest.raises(BadDataError, match="train-images-idx3-ubyte.gz"):
        load_dataset("mnist", root, allow_download=False)
    with pytest.raises(BadDataError) as err:
        load_dataset("mnist", root, allow_download=False)
    assert message in str(err.value)


def test_a_truncated_gzip_file_is_one_clear_error(tmp_path):
    root = write_synthetic_mnist(tmp_path, n_train=64, n_test=20)
    path = root / "MNIST/raw/t10k-labels-idx1-ubyte.gz"
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(BadDataError, match="t10k-labels-idx1-ubyte.gz is truncated or not gzip data"):
        load_dataset("mnist", root, allow_download=False)
