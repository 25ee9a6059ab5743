"""The drawer split, the sequence sampler and the fixed test list, on a tiny synthetic Omniglot."""

import numpy as np
import pytest
import torch

from tests.helpers import compose
from toyemerge.data.omniglot_split import split_by_drawer
from toyemerge.data.sequences import load_or_make_test_sequences, sample_sequences
from toyemerge.training.tasks.augment import random_affine

N_DRAWERS = 20


def synthetic_omniglot(chars_per_alphabet=(3, 2), eval_chars=(1,), seed=0) -> dict[str, np.ndarray]:
    """Arrays in omniglot.npz's layout; pixel (0, 0..2) of each image encodes char_id, pixel (1, 0) the drawer."""
    rng = np.random.default_rng(seed)
    arrays, next_id = {}, 1
    for split, sizes in (("background", chars_per_alphabet), ("evaluation", eval_chars)):
        x, y, alphabet, drawer, char_id, char_names = [], [], [], [], [], []
        for a, n_chars in enumerate(sizes):
            for c in range(n_chars):
                char_names.append(f"{split}{a}/character{c + 1:02d}")
                for d in range(1, N_DRAWERS + 1):
                    image = (rng.random((105, 105)) > 0.1).astype(np.uint8)
                    x.append(image)
                    y.append(len(char_names) - 1)
                    alphabet.append(a)
                    drawer.append(d)
                    char_id.append(next_id)
                next_id += 1
        arrays.update({
            f"x_{split}": np.stack(x), f"y_{split}": np.array(y), f"alphabet_{split}": np.array(alphabet),
            f"drawer_{split}": np.array(drawer), f"char_id_{split}": np.array(char_id),
            f"alphabet_names_{split}": np.array([f"{split}{a}" for a in range(len(sizes))]),
            f"character_names_{split}": np.array(char_names),
        })
    return arrays


def test_split_grids_hold_each_characters_own_drawings():
    arrays = synthetic_omniglot()
    split = split_by_drawer(arrays, None, list(range(1, 16)), [16, 17, 18, 19, 20], image_size=7)
    assert split.n_classes == 6 and split.char_id.tolist() == [1, 2, 3, 4, 5, 6]
    assert split.x_train.shape == (6, 15, 7, 7) and split.x_test.shape == (6, 5, 7, 7)
    from toyemerge.data.omniglot import downsample
    for split_name in ("background", "evaluation"):
        a = arrays
        for i in range(len(a[f"y_{split_name}"])):
            cls = int(np.searchsorted(split.char_id, a[f"char_id_{split_name}"][i]))
            d = int(a[f"drawer_{split_name}"][i])
            grid, col = (split.x_train, d - 1) if d <= 15 else (split.x_test, d - 16)
            np.testing.assert_array_equal(grid[cls, col], downsample(a[f"x_{split_name}"][i:i + 1], 7)[0])


def test_split_keeps_only_the_chosen_alphabets_and_rejects_bad_choices():
    arrays = synthetic_omniglot()
    split = split_by_drawer(arrays, ["background1", "evaluation0"], list(range(1, 16)), [16], 7)
    assert split.char_id.tolist() == [4, 5, 6]
    assert split.names.tolist() == ["background1/character01", "background1/character02",
                                    "evaluation0/character01"]
    with pytest.raises(ValueError, match="unknown Omniglot alphabets"):
        split_by_drawer(arrays, ["Klingon"], [1], [2], 7)
    with pytest.raises(ValueError, match="share drawers"):
        split_by_drawer(arrays, None, [1, 2], [2, 3], 7)


def test_sampler_is_deterministic_and_classes_are_distinct():
    a = sample_sequences(np.random.default_rng(5), 200, 5, 9, 15)
    b = sample_sequences(np.random.default_rng(5), 200, 5, 9, 15)
    c = sample_sequences(np.random.default_rng(6), 200, 5, 9, 15)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])
    classes, drawers = a
    assert classes.shape == drawers.shape == (200, 5)
    assert all(len(set(row)) == 5 for row in classes.tolist())
    assert classes.min() >= 0 and classes.max() == 8 and drawers.min() == 0 and drawers.max() == 14
    with pytest.raises(ValueError, match="distinct"):
        sample_sequences(np.random.default_rng(0), 1, 5, 4, 15)


def test_test_list_is_fixed_saved_and_reused(tmp_path):
    char_id = np.array([10, 11, 12, 13, 14, 15, 16])
    drawers = (16, 17, 18, 19, 20)
    path = tmp_path / "test_sequences.npz"
    classes, drawer_index = load_or_make_test_sequences(path, 3, 50, 5, char_id, drawers)
    with np.load(path, allow_pickle=False) as f:
        np.testing.assert_array_equal(f["char_id"], char_id[classes])  # readable without the code
        np.testing.assert_array_equal(f["drawer"], np.array(drawers)[drawer_index])
    # The saved list wins over a fresh draw: overwrite it and it is returned as saved.
    swapped = {"classes": classes[::-1], "drawers": drawer_index[::-1], "seed": np.int64(3),
               "char_id": char_id[classes[::-1]], "drawer": np.array(drawers)[drawer_index[::-1]]}
    np.savez(path, **swapped)
    again, _ = load_or_make_test_sequences(path, 3, 50, 5, char_id, drawers)
    np.testing.assert_array_equal(again, classes[::-1])
    # Another class set makes a new list rather than reusing one made for different characters.
    other, _ = load_or_make_test_sequences(path, 3, 50, 5, char_id + 100, drawers)
    np.testing.assert_array_equal(other, classes)
    with np.load(path, allow_pickle=False) as f:
        assert f["char_id"].min() >= 110


def test_training_sequence_labels_match_their_images(tmp_path):
    from toyemerge.data.prepared import save_prepared
    from toyemerge.training.tasks.sequence import SequenceTask

    arrays = synthetic_omniglot()
    save_prepared(tmp_path / "omniglot.npz", {**arrays, **{f"image_names_{s}": np.array(
        [f"img{i}" for i in range(len(arrays[f"y_{s}"]))]) for s in ("background", "evaluation")}})
    cfg = compose("+exp=omniglot", f"paths.experiments={tmp_path / 'exp'}", f"data.root={tmp_path}",
                  "data.alphabets=null", "data.image_size=8", f"data.train_drawers={list(range(1, 16))}",
                  "data.test_drawers=[16,17,18,19,20]", "data.mean=0.0", "data.std=1.0", "data.sequence_length=3",
                  "data.test_seed=0", "data.test_sequences=40", "model.n_classes=6", "train.steps_per_epoch=4",
                  "train.eval_batch_size=16", "train.augment.max_rotation=0", "train.augment.max_shift=0")
    task = SequenceTask(cfg, torch.device("cpu"))
    flat = task.x_train.flatten(0, 1)  # (C·15, 1, 8, 8): row c·15 + j is class c, drawer j + 1
    batches = list(task.epoch_batches(10, torch.Generator().manual_seed(0)))
    assert len(batches) == task.steps_per_epoch(10) == 4
    for images, labels in batches:
        assert images.shape == (10, 3, 1, 8, 8) and labels.shape == (10, 3)
        for image, label in zip(images.flatten(0, 1), labels.flatten(), strict=True):
            match = (flat == image).flatten(1).all(1).nonzero()[:, 0]
            assert set((match // 15).tolist()) == {int(label)}  # the image is one of its class's drawings
    again = list(task.epoch_batches(10, torch.Generator().manual_seed(0)))
    assert all(torch.equal(a[0], b[0]) and torch.equal(a[1], b[1]) for a, b in zip(batches, again, strict=True))
    assert (tmp_path / "exp" / "omniglot" / "test_sequences.npz").is_file()


def test_random_affine_is_seeded_and_keeps_the_background():
    images = torch.zeros(4, 1, 12, 12)
    images[:, :, 4:8, 4:8] = 1
    a = random_affine(images, np.random.default_rng(0), 10, 2)
    b = random_affine(images, np.random.default_rng(0), 10, 2)
    assert torch.equal(a, b) and not torch.equal(a, images)
    assert a[:, :, 0, 0].abs().max() == 0  # corners stay background
    assert torch.equal(random_affine(images, np.random.default_rng(0), 0, 0), images)
