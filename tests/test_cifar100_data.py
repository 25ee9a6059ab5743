"""The CIFAR-100 reader on tiny synthetic files in the official python-version format."""

import hashlib
import pickle
import shutil

import numpy as np
import pytest

from tests.helpers import py2_pickle, synthetic_members, synthetic_split, write_archive, write_folder
from toyemerge.data import MissingDataError, load_dataset
from toyemerge.data.cifar100 import (
    ARCHIVE_MD5,
    ChecksumError,
    UnsafePickleError,
    check_md5,
    convert_official,
    load_cifar100,
    read_pickle,
)


class CreatesFile:
    """A pickle payload that, if ever executed, creates the file at `target`."""

    def __init__(self, target):
        self.target = str(target)

    def __reduce__(self):
        return open, (self.target, "w")


def expected_images(split: dict) -> np.ndarray:
    """HWC images worked out pixel by pixel from the official row layout (R plane, G plane, B plane)."""
    data = split[b"data"]
    out = np.zeros((len(data), 32, 32, 3), np.uint8)
    for n in range(len(data)):
        for ch in range(3):
            for r in range(32):
                out[n, r, :, ch] = data[n, 1024 * ch + 32 * r: 1024 * ch + 32 * (r + 1)]
    return out


@pytest.mark.parametrize("form", ["folder", "archive"])
def test_official_format_is_converted_and_prepared_once(tmp_path, form):
    members = synthetic_members(n_train=6, n_test=4)
    (write_folder if form == "folder" else write_archive)(tmp_path, members)
    arrays = load_cifar100(tmp_path, allow_download=False, verify_md5=False)
    train, test = synthetic_split(6, 0), synthetic_split(4, 1)
    np.testing.assert_array_equal(arrays["x_train"], expected_images(train))
    np.testing.assert_array_equal(arrays["x_test"], expected_images(test))
    assert arrays["x_train"].shape == (6, 32, 32, 3) and arrays["x_train"].dtype == np.uint8
    assert arrays["y_train"].tolist() == train[b"fine_labels"] and arrays["y_train"].dtype == np.int64
    assert arrays["y_test_coarse"].tolist() == test[b"coarse_labels"]
    with np.load(tmp_path / "cifar100.npz", allow_pickle=False) as f:  # the shared README's layout
        assert f["fine_label_names"][3] == "fine3" and f["coarse_label_names"].shape == (20,)
    shutil.rmtree(tmp_path / "cifar-100-python", ignore_errors=True)
    (tmp_path / "cifar-100-python.tar.gz").unlink(missing_ok=True)
    again = load_dataset("cifar100", tmp_path, allow_download=False)  # from cifar100.npz alone
    np.testing.assert_array_equal(again["x_test"], arrays["x_test"])


@pytest.mark.parametrize("member", ["train", "meta"])
def test_pickle_with_a_foreign_object_is_refused_and_never_executed(tmp_path, member):
    target = tmp_path / "pwned"
    members = synthetic_members(n_train=4, n_test=2)
    evil = {b"data": synthetic_split(2, 0)[b"data"], b"fine_labels": [0, 1], b"coarse_labels": [0, 1],
            b"fine_label_names": [CreatesFile(target)], b"coarse_label_names": []}
    members[member] = py2_pickle(evil)
    root = tmp_path / "data"
    write_folder(root, members)
    with pytest.raises(UnsafePickleError, match="refused global"):
        load_cifar100(root, allow_download=False, verify_md5=False)
    assert not target.exists()
    assert not (root / "cifar100.npz").exists()
    pickle.loads(members[member], encoding="latin1")  # the control: a plain unpickler runs the payload
    assert target.exists()


def test_arrays_of_other_dtypes_and_array_subclasses_are_refused():
    with pytest.raises(UnsafePickleError, match="dtype"):
        read_pickle(py2_pickle({b"data": np.zeros((2, 3072), np.float64)}))
    with pytest.raises(UnsafePickleError, match="dtype"):
        read_pickle(py2_pickle({b"data": np.array([object()], dtype=object)}))
    with pytest.raises(UnsafePickleError):
        read_pickle(py2_pickle({b"data": np.ma.masked_array(np.zeros(3, np.uint8))}))


def test_md5_of_known_bytes_and_mismatch():
    check_md5(b"", "d41d8cd98f00b204e9800998ecf8427e", "empty")  # RFC 1321 test vector
    check_md5(b"abc", "900150983cd24fb0d6963f7d28e17f72", "abc")
    with pytest.raises(ChecksumError, match="differs from the official"):
        check_md5(b"abd", "900150983cd24fb0d6963f7d28e17f72", "abd")


@pytest.mark.parametrize("form", ["folder", "archive"])
def test_files_that_are_not_the_official_ones_fail_the_md5_check(tmp_path, form):
    members = synthetic_members(n_train=4, n_test=2)
    (write_folder if form == "folder" else write_archive)(tmp_path, members)
    name = "cifar-100-python/" if form == "folder" else "cifar-100-python.tar.gz"
    with pytest.raises(ChecksumError, match=name.rstrip("/")):
        load_cifar100(tmp_path, allow_download=False)
    assert not (tmp_path / "cifar100.npz").exists()


def test_member_md5s_are_checked_one_by_one(monkeypatch):
    members = synthetic_members(n_train=4, n_test=2)
    official = {name: hashlib.md5(data).hexdigest() for name, data in members.items()}
    monkeypatch.setattr("toyemerge.data.cifar100.MEMBER_MD5", official)
    assert convert_official(members)["x_train"].shape == (4, 32, 32, 3)
    members["meta"] = members["meta"] + b"."
    with pytest.raises(ChecksumError, match="meta"):
        convert_official(members)
    assert ARCHIVE_MD5 == "eb9058c3a382ffc7106e4002c42a8d85"


def test_missing_cifar100_names_file_root_and_fix(tmp_path):
    with pytest.raises(MissingDataError) as err:
        load_dataset("cifar100", tmp_path, allow_download=False)
    message = str(err.value)
    assert "cifar100.npz" in message and str(tmp_path) in message and "cifar-100-python.tar.gz" in message
    assert "TOYEMERGE_DATA" in message
