"""BalancedBatches: balanced, fresh every epoch, every sample seen, no copy of x."""

import math
import tracemalloc
from pathlib import Path

import keras
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from keras_seqfix.imbalance import BalancedBatches

SETTINGS = settings(max_examples=15, deadline=None)


def imbalanced(counts, shape=(3,), seed=0):
    rng = np.random.default_rng(seed)
    y = rng.permutation(np.repeat(np.arange(len(counts)), counts))
    x = rng.normal(size=(len(y), *shape)).astype("float32")
    return x, y


def epoch(batches):
    """The labels of every batch of the current epoch."""
    return [batches[i][1] for i in range(len(batches))]


@SETTINGS
@given(
    counts=st.lists(st.integers(1, 40), min_size=2, max_size=4),
    batch_size=st.integers(2, 16),
    strategy=st.sampled_from(["oversample", "undersample"]),
)
def test_every_batch_is_balanced(counts, batch_size, strategy):
    x, y = imbalanced(counts)
    batches = BalancedBatches(
        x, y, batch_size=batch_size, strategy=strategy, random_state=0
    )
    k = len(counts)
    per_class = max(counts) if strategy == "oversample" else min(counts)
    assert len(batches) == math.ceil(k * per_class / batch_size)
    labels = epoch(batches)
    np.testing.assert_array_equal(
        np.bincount(np.concatenate(labels), minlength=k), per_class
    )
    for batch_labels in labels:
        share = len(batch_labels) / k
        assert np.all(np.abs(np.bincount(batch_labels, minlength=k) - share) <= 1.0)


@SETTINGS
@given(
    counts=st.lists(st.integers(2, 30), min_size=2, max_size=3), seed=st.integers(0, 99)
)
def test_every_sample_seen_and_epochs_differ(counts, seed):
    x, y = imbalanced(counts, seed=seed)
    batches = BalancedBatches(
        x, y, batch_size=4, strategy="undersample", random_state=seed
    )
    n_epochs = math.ceil(max(counts) / min(counts))
    seen, epochs = set(), []
    for _ in range(n_epochs):
        epochs.append(batches.epoch_indices.copy())
        seen.update(batches.epoch_indices.tolist())
        batches.on_epoch_end()
    assert seen == set(range(len(y)))  # every majority sample within n_epochs
    if max(counts) >= 4:
        batches.on_epoch_end()
        assert not np.array_equal(epochs[0], batches.epoch_indices)


def test_same_random_state_same_epochs():
    x, y = imbalanced([30, 5])
    a = BalancedBatches(x, y, batch_size=8, random_state=3)
    b = BalancedBatches(x, y, batch_size=8, random_state=3)
    for _ in range(3):
        np.testing.assert_array_equal(a.epoch_indices, b.epoch_indices)
        np.testing.assert_array_equal(a[1][0], b[1][0])
        a.on_epoch_end()
        b.on_epoch_end()


def test_sqrt_strategy_tempers_the_balance():
    x, y = imbalanced([900, 100])
    batches = BalancedBatches(x, y, batch_size=50, strategy="sqrt", random_state=0)
    counts = np.bincount(y[batches.epoch_indices])
    assert counts.sum() == 1000
    assert counts[0] / counts[1] == pytest.approx(3.0, rel=0.02)  # sqrt(900 / 100)


def test_batches_hold_the_original_samples_and_weights():
    x, y = imbalanced([20, 4], shape=(5, 2))
    sw = np.arange(24, dtype="float32")
    x[:, 0, 0] = np.arange(24)  # each sample carries its index
    y_hot = np.eye(2, dtype="float32")[y]
    batches = BalancedBatches(x, y_hot, batch_size=8, sample_weight=sw, random_state=0)
    for i in range(len(batches)):
        xb, yb, swb = batches[i]
        idx = xb[:, 0, 0].astype(int)
        np.testing.assert_array_equal(xb, x[idx])
        np.testing.assert_array_equal(yb, y_hot[idx])
        np.testing.assert_array_equal(swb, sw[idx])
    with pytest.raises(IndexError):
        batches[len(batches)]


def test_no_copy_of_x_in_memory_or_memmap(tmp_path):
    x, y = imbalanced([1900, 100], shape=(64, 32))  # 16 MB, as the benchmark per sample
    tracemalloc.start()
    batches = BalancedBatches(x, y, batch_size=32, random_state=0)
    batches.on_epoch_end()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert batches.x is x and np.shares_memory(batches.x, x)
    assert peak < 0.05 * x.nbytes
    path = tmp_path / "x.dat"
    mm = np.memmap(path, dtype="float32", mode="w+", shape=x.shape)
    mm[:] = x
    mm.flush()
    readonly = np.memmap(path, dtype="float32", mode="r", shape=x.shape)
    on_disk = BalancedBatches(readonly, y, batch_size=32, random_state=0)
    assert on_disk.x is readonly
    xb, yb = on_disk[0]
    np.testing.assert_array_equal(xb, x[np.sort(on_disk.epoch_indices[:32])])


def test_loader_reads_only_the_batch():
    paths = [f"sample_{i}.npy" for i in range(30)]
    y = np.array([0] * 25 + [1] * 5)
    calls = []

    def loader(path):
        calls.append(path)
        return np.full((4, 2), int(path.split("_")[1].split(".")[0]), dtype="float32")

    batches = BalancedBatches(paths, y, batch_size=6, loader=loader, random_state=0)
    assert calls == []  # nothing is read up front
    xb, yb = batches[2]
    assert len(calls) == 6 and xb.shape == (6, 4, 2)
    np.testing.assert_array_equal(y[xb[:, 0, 0].astype(int)], yb)


def test_transform_hook_and_variable_length_items():
    rng = np.random.default_rng(0)
    x = [rng.normal(size=(int(n), 2)) for n in rng.integers(2, 7, size=12)]
    y = np.array([0] * 9 + [1] * 3)

    def pad(xb, yb):
        return keras.utils.pad_sequences(
            xb, maxlen=6, padding="post", dtype="float32"
        ), yb

    xb, yb = BalancedBatches(x, y, batch_size=4, transform=pad, random_state=0)[0]
    assert xb.shape == (4, 6, 2)
    with pytest.raises(ValueError, match="pad_sequences"):
        BalancedBatches(x, y, batch_size=12, random_state=0)[0]


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(strategy="smote"), ValueError, "`strategy` should be one of"),
        (dict(batch_size=0), ValueError, "`batch_size`"),
        (dict(transform="pad"), TypeError, "`transform` should be callable"),
        (dict(sample_weight=np.ones(3)), ValueError, "len\\(sample_weight\\)=3"),
    ],
)
def test_bad_arguments(kwargs, error, match):
    x, y = imbalanced([8, 2])
    with pytest.raises(error, match=match):
        BalancedBatches(x, y, **kwargs)


@pytest.mark.parametrize(
    "y, error, match",
    [
        (np.zeros(10, dtype=int), ValueError, "at least 2 classes"),
        (np.array(["a", "b"] * 5), TypeError, "LabelEncoder"),
        (np.arange(12) % 2, ValueError, r"len\(x\)=10, len\(y\)=12"),
    ],
)
def test_bad_labels(y, error, match):
    with pytest.raises(error, match=match):
        BalancedBatches(np.ones((10, 3)), y)


def test_fit_draws_a_new_epoch_and_passes_pydataset_kwargs():
    x, y = imbalanced([60, 8], shape=(6, 2))
    batches = BalancedBatches(x, y, batch_size=16, random_state=0, workers=2)
    assert batches.workers == 2 and batches.use_multiprocessing is False
    model = keras.Sequential(
        [
            keras.Input((6, 2)),
            keras.layers.GlobalAveragePooling1D(),
            keras.layers.Dense(2, activation="softmax"),
        ]
    )
    model.compile("adam", "sparse_categorical_crossentropy")
    before = batches.epoch_indices.copy()
    history = model.fit(batches, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2
    assert not np.array_equal(before, batches.epoch_indices)


def _recording_model(seen, num_classes=2):
    """A model whose train step records the sample ids (feature 0) it trained on."""

    class Recording(keras.Sequential):
        def train_step(self, *args):  # (data,) on TF and torch, (state, data) on JAX
            x = args[-1][0]
            seen[-1].extend(keras.ops.convert_to_numpy(x[:, 0]).astype(int).tolist())
            return super().train_step(*args)

    model = Recording(
        [keras.Input((2,)), keras.layers.Dense(num_classes, activation="softmax")]
    )
    # Eager steps: the batches reach train_step as concrete arrays on every backend.
    model.compile("sgd", "sparse_categorical_crossentropy", run_eagerly=True)
    return model


def _ids_and_noise(y):
    x = np.random.default_rng(0).normal(size=(len(y), 2)).astype("float32")
    x[:, 0] = np.arange(len(y))  # each sample carries its index
    return x


@pytest.mark.parametrize(
    "counts, strategy, batch_size, workers",
    [
        # The case: 7 epochs cover 45 majority samples; 2 batches an epoch,
        # so the 2 batches Keras reads for the shapes are the whole first epoch.
        ([45, 7], "undersample", 7, 1),
        pytest.param(
            [45, 7],
            "undersample",
            7,
            2,  # Keras's worker threads read the batches
            # On JAX and torch, Keras 3.15's enqueuer serves each epoch the
            # batches read ahead in the one before (it warns, see below).
            marks=pytest.mark.backend("tensorflow"),
        ),
        ([13, 4], "undersample", 3, 1),
        ([40, 12, 5], "sqrt", 8, 1),
        ([20, 6], "oversample", 8, 1),
    ],
)
def test_fit_trains_on_the_first_draw_then_covers_every_sample(
    counts, strategy, batch_size, workers
):
    y = np.repeat(np.arange(len(counts)), counts)
    batches = BalancedBatches(
        _ids_and_noise(y),
        y,
        batch_size=batch_size,
        strategy=strategy,
        random_state=0,
        workers=workers,
    )
    first_draw = batches.epoch_indices.copy()
    per_epoch = np.bincount(y[first_draw], minlength=len(counts))  # m_c
    epochs = max(math.ceil(n / m) for n, m in zip(counts, per_epoch, strict=True))
    seen = []
    model = _recording_model(seen, len(counts))
    begin = keras.callbacks.LambdaCallback(on_epoch_begin=lambda *_: seen.append([]))
    model.fit(batches, epochs=epochs, callbacks=[begin], verbose=0)

    assert len(seen) == epochs
    # Epoch 1 trained on the draw made at construction, each sample as often.
    np.testing.assert_array_equal(sorted(seen[0]), np.sort(first_draw))
    # Every class of n_c samples drawn m_c times an epoch: all within ceil(n_c/m_c).
    for c, (n, m) in enumerate(zip(counts, per_epoch, strict=True)):
        trained = set().union(*map(set, seen[: math.ceil(n / m)]))
        assert set(np.flatnonzero(y == c)) <= trained, (c, n, m)
    for ids in seen:  # every epoch is a whole balanced draw
        assert len(ids) == len(first_draw)
        np.testing.assert_array_equal(
            np.bincount(y[ids], minlength=len(counts)), per_epoch
        )
    if strategy != "oversample":
        assert len({tuple(sorted(ids)) for ids in seen}) == epochs  # fresh draws


@pytest.mark.backend("jax", "torch")
def test_workers_on_jax_and_torch_warn_of_stale_batches():
    y = np.array([0] * 12 + [1] * 4)
    batches = BalancedBatches(_ids_and_noise(y), y, batch_size=4, workers=2)
    model = _recording_model([[]])
    with pytest.warns(UserWarning, match="workers=2.*Fix: pass workers=1"):
        model.fit(batches, epochs=1, verbose=0)


def test_a_second_fit_continues_the_cycle():
    y = np.array([0] * 12 + [1] * 4)
    batches = BalancedBatches(
        _ids_and_noise(y), y, batch_size=4, strategy="undersample", random_state=1
    )
    seen = []
    model = _recording_model(seen)
    begin = keras.callbacks.LambdaCallback(on_epoch_begin=lambda *_: seen.append([]))
    for _ in range(3):  # three fits of one epoch = one fit of three epochs
        model.fit(batches, epochs=1, callbacks=[begin], verbose=0)
    majority = [sorted(i for i in ids if y[i] == 0) for ids in seen]
    assert sorted(sum(majority, [])) == list(range(12))  # 12 = 3 epochs x 4, no repeat


def test_hand_written_loops_get_a_new_draw_after_on_epoch_end():
    x, y = imbalanced([30, 6])

    def make():
        return BalancedBatches(
            x, y, batch_size=6, strategy="undersample", random_state=0
        )

    reference, draws = make(), []
    for _ in range(4):  # read, end, read, end...
        draws.append(reference.epoch_indices.copy())
        reference.on_epoch_end()
    assert len({tuple(d) for d in draws}) == 4
    batches = make()
    xb_before = batches[0][0]
    batches.on_epoch_end()
    xb_after = batches[0][0]  # the read takes the next draw
    np.testing.assert_array_equal(batches.epoch_indices, draws[1])
    assert not np.array_equal(xb_before, xb_after)
    batches.on_epoch_end()
    batches.on_epoch_end()  # two ends in a row: two draws
    np.testing.assert_array_equal(batches.epoch_indices, draws[3])


def test_an_epoch_begun_keeps_the_draw_and_its_end_draws_anew_once_used_up():
    x, y = imbalanced([30, 6])
    batches = BalancedBatches(x, y, batch_size=6, random_state=0)
    first = batches.epoch_indices.copy()
    batches[0], batches[1]  # TensorFlow reads two batches for the shapes
    batches.on_epoch_end()  # Keras's call before the first epoch
    batches.on_epoch_begin()
    np.testing.assert_array_equal(batches.epoch_indices, first)
    for i in range(len(batches) - 1):
        batches[i]
    batches.on_epoch_end()  # one batch unread (steps_per_epoch): the draw stays
    batches.on_epoch_begin()
    np.testing.assert_array_equal(batches.epoch_indices, first)
    batches[len(batches) - 1]
    batches.on_epoch_end()  # every batch read: a new draw
    assert not np.array_equal(batches.epoch_indices, first)


@pytest.mark.parametrize("num_batches", [1, 3])
def test_keras_build_step_on_jax_and_torch_keeps_the_first_draw(num_batches):
    x, y = imbalanced([3 * num_batches, 3 * num_batches])
    batches = BalancedBatches(x, y, batch_size=6, random_state=0)
    first = batches.epoch_indices.copy()
    batches.on_epoch_begin()  # the build step of an unbuilt model
    batches[0]
    batches.on_epoch_end()  # EpochIterator.reset
    batches.on_epoch_begin()  # epoch 1
    np.testing.assert_array_equal(batches.epoch_indices, first)
    for i in range(len(batches)):
        batches[i]
    batches.on_epoch_end()
    assert not np.array_equal(batches.epoch_indices, first)


def test_paths_without_a_loader_and_generators_are_refused():
    y = np.array([0] * 8 + [1] * 2)
    paths = np.array([f"sample_{i}.npy" for i in range(10)])
    for x in (paths, paths.tolist(), [Path(p) for p in paths]):
        with pytest.raises(
            ValueError, match=r"`loader` should be.*loader=None.*np\.load"
        ):
            BalancedBatches(x, y)
    assert BalancedBatches(paths, y, loader=lambda p: np.zeros(3)).x is paths
    samples = (np.zeros(3) for _ in range(10))
    with pytest.raises(TypeError, match=r"`x` should be indexable.*type generator"):
        BalancedBatches(samples, y)
