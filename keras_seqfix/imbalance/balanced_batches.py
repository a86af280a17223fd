"""BalancedBatches: a `keras.utils.PyDataset` of class-balanced batches."""

import math
import os
import warnings

import keras
import numpy as np

from keras_seqfix._validation import (
    Integral,
    Interval,
    Options,
    check_kwargs,
    validate_params,
)
from keras_seqfix.imbalance._draw import (
    STRATEGIES,
    ClassCycler,
    interleave,
    per_class_targets,
)
from keras_seqfix.imbalance._epoch_state import EpochState
from keras_seqfix.imbalance._validation import (
    check_same_length,
    class_counts,
    class_ids,
)

# Declared once (see `keras_seqfix._validation`); the last three are PyDataset's.
_CONSTRAINTS = {
    "batch_size": [Interval(Integral, 1, None, closed="left")],
    "strategy": [Options(str, STRATEGIES)],
    "random_state": [
        None,
        Interval(Integral, 0, 2**32 - 1),
        np.random.RandomState,
    ],
    "shuffle": [bool],
    "workers": [Interval(Integral, 1, None, closed="left")],
    "use_multiprocessing": [bool],
    "max_queue_size": [Interval(Integral, 1, None, closed="left")],
}
_PYDATASET = ("workers", "use_multiprocessing", "max_queue_size")
_OWN = (
    "x",
    "y",
    "sample_weight",
    "transform",
    "loader",
)


class BalancedBatches(keras.utils.PyDataset):
    """Class-balanced batches drawn by index, fresh every epoch.

    Give it to `model.fit` in place of `x, y`. Each epoch draws a new balanced set
    of sample indices, spread evenly so that (with `"oversample"` and
    `"undersample"`) every batch holds each class within one sample of its
    share. Samples are gathered per batch with `x[indices]`, so `x` is never
    copied: it may be a `np.memmap`, or a list of file paths with a `loader` that
    reads one sample, for data that does not fit in memory.

    Unlike imbalanced-learn's `BalancedBatchGenerator` (one draw at construction,
    the same subset in every epoch, last partial batch dropped), the draw changes
    every epoch, each class is cycled through a permutation so that over epochs
    every majority sample is seen, and the last partial batch is kept.

    Coverage: a class of `n_c` samples drawn `m_c` times an epoch has every one
    of its samples trained within `ceil(n_c / m_c)` epochs. With
    `"undersample"` that is every majority sample within
    `ceil(n_major / n_minor)` epochs; with `"oversample"` every sample in every
    epoch; with `"sqrt"` the classes above the tempered share within
    `ceil(n_c / m_c)` epochs, the others in every epoch.

    Epochs: the first epoch of `model.fit` trains on the draw made at
    construction (`epoch_indices`) and each later epoch on the next draw, on
    every backend. `on_epoch_end` draws anew once an epoch begun with
    `on_epoch_begin` has read every batch of the current draw (with
    `steps_per_epoch` below `len(batches)`, after as many epochs as that
    takes); the calls Keras makes before the first epoch discard nothing. A
    hand-written loop reads the batches and calls `on_epoch_end()` after each
    epoch: the new draw is made at its next read. On JAX and torch keep
    `workers=1`: with more, Keras 3.15 reads ahead while it builds the model,
    then serves each epoch the batches read ahead in the one before (this
    warns).

    Args:
        x (np.ndarray or sequence): samples, indexable by an integer array (NumPy array
            or memmap of shape `(n, ...)`), or a sequence of items (variable-length
            arrays, or file paths read by `loader`). A generator or `tf.data.Dataset`
            cannot be indexed by sample: materialise it, or write its samples to files.
        y (np.ndarray): labels, integer ids `(n,)` or one-hot rows `(n, num_classes)`;
            batches return them in this format.
        batch_size (int): samples per batch. Defaults to `32`.
        strategy ('"oversample" | "undersample" | "sqrt"'): `"oversample"` (every class
            as often as the largest one; an epoch has `num_classes * max_count`
            samples), `"undersample"` (every class as often as the smallest one;
            `num_classes * min_count` samples, the majority classes are cycled through
            over epochs) or `"sqrt"` (classes drawn in proportion to the square root of
            their counts, a tempered balance; an epoch has `n` samples). Defaults to
            `"oversample"`.
        random_state (int or np.random.RandomState or None): seed,
            `np.random.RandomState` or `None`, through
            `sklearn.utils.check_random_state`. Defaults to `None`.
        sample_weight (np.ndarray or None): optional per-sample weights `(n,)` or
            `(n, timesteps)`, returned as the third element of each batch.
        transform (callable or None): optional callable
            `transform(x_batch, y_batch) -> (x_batch, y_batch)` applied to every batch
            (augmentation, padding of variable-length items, mixup).
        loader (callable or None): optional callable that turns one item of `x` (e.g. a
            file path) into one sample array; the batch is their `np.stack`. Needed when
            `x` holds strings or paths.
        shuffle (bool): draw in random order. With `False` every class is walked in
            index order (reproducible debugging). Defaults to `True`.
        **kwargs (Any): `keras.utils.PyDataset` arguments: `workers`,
            `use_multiprocessing`, `max_queue_size`.

    Raises:
        TypeError: if `x` cannot be indexed by sample (a generator, a dataset),
            or `transform` or `loader` is not callable.
        ValueError: if `x` holds file paths or strings and `loader` is not
            given, or for bad `strategy`, `batch_size`, labels or lengths.

    Examples:
        >>> import numpy as np
        >>> x = np.arange(100, dtype="float32").reshape(50, 2)
        >>> y = np.array([0] * 45 + [1] * 5)
        >>> batches = BalancedBatches(x, y, batch_size=10, random_state=0)
        >>> len(batches)  # 2 classes x 45 samples
        9
        >>> x_batch, y_batch = batches[0]
        >>> x_batch.shape, np.bincount(y_batch).tolist()
        ((10, 2), [5, 5])
        >>> first = batches.epoch_indices.copy()
        >>> batches.on_epoch_end()  # Keras's call before the first epoch
        >>> batches.on_epoch_begin()  # the first epoch begins: the same draw
        >>> bool((batches.epoch_indices == first).all())
        True
        >>> epoch = [batches[i] for i in range(len(batches))]
        >>> batches.on_epoch_end()  # that epoch ends: a new draw
        >>> bool((batches.epoch_indices == first).all())
        False
    """

    def __init__(
        self,
        x,
        y,
        *,
        batch_size=32,
        strategy="oversample",
        random_state=None,
        sample_weight=None,
        transform=None,
        loader=None,
        shuffle=True,
        **kwargs,
    ):
        from sklearn.utils import check_random_state

        check_kwargs("BalancedBatches", kwargs, [*_CONSTRAINTS, *_OWN])
        validate_params(
            _CONSTRAINTS,
            {
                "batch_size": batch_size,
                "strategy": strategy,
                "random_state": random_state,
                "shuffle": shuffle,
                **kwargs,
            },
            examples={"batch_size": 32, "workers": 1, "max_queue_size": 10},
        )
        super().__init__(**kwargs)
        for name, fn in (("transform", transform), ("loader", loader)):
            if fn is not None and not callable(fn):
                raise TypeError(f"`{name}` should be callable. Received: {fn!r}")
        _check_indexable(x)
        check_same_length(x, y)
        if loader is None:
            _check_items_need_no_loader(x)
        self.y = np.asarray(y)
        ids, one_hot = class_ids(self.y)
        if ids.ndim != 1:
            raise ValueError(
                "`y` should hold one label per sample, shape (n,) or one-hot "
                f"(n, num_classes). Received shape {self.y.shape}."
            )
        if sample_weight is not None:
            sample_weight = np.asarray(sample_weight)
            check_same_length(x, sample_weight, y_name="sample_weight")
        self.x = x
        self.batch_size = int(batch_size)
        self.strategy = strategy
        self.random_state = random_state
        self.sample_weight = sample_weight
        self.transform = transform
        self.loader = loader
        self.shuffle = shuffle
        # Gaps in integer ids are harmless; an empty one-hot column is an error.
        self.class_counts = class_counts(
            ids,
            num_classes=self.y.shape[-1] if one_hot else None,
            allow_empty=not one_hot,
        )
        self._rng = check_random_state(random_state)
        present = np.flatnonzero(self.class_counts)
        self._targets = per_class_targets(self.class_counts[present], strategy)
        self._cyclers = [
            ClassCycler(np.flatnonzero(ids == c), self._rng, shuffle) for c in present
        ]
        self._epochs = EpochState()
        self._draw()

    @property
    def epoch_indices(self):
        """The sample indices of the current epoch, in batch order."""
        if self._epochs.due():
            self._draw()
        return self._epoch_indices

    def _draw(self):
        groups = [
            cyc.take(m) for cyc, m in zip(self._cyclers, self._targets, strict=True)
        ]
        self._epoch_indices = interleave(groups, self._rng, self.shuffle)
        self._epochs.drawn()

    def __len__(self):
        return math.ceil(int(self._targets.sum()) / self.batch_size)

    def __getitem__(self, index):
        if not 0 <= index < len(self):
            raise IndexError(
                f"`index` should be in [0, {len(self)}). Received: index={index}"
            )
        chosen = self.epoch_indices[
            index * self.batch_size : (index + 1) * self.batch_size
        ]
        self._epochs.note(index)
        # Sorted indices read memmaps and HDF5 datasets front to back.
        chosen = np.sort(chosen)
        x_batch = self._gather(chosen)
        y_batch = self.y[chosen]
        if self.transform is not None:
            x_batch, y_batch = self.transform(x_batch, y_batch)
        if self.sample_weight is not None:
            return x_batch, y_batch, self.sample_weight[chosen]
        return x_batch, y_batch

    def _gather(self, chosen):
        if isinstance(self.x, np.ndarray) and self.loader is None:
            return self.x[chosen]
        items = [self.x[int(i)] for i in chosen]
        if self.loader is not None:
            items = [self.loader(item) for item in items]
        items = [np.asarray(item) for item in items]
        if len({item.shape for item in items}) > 1:
            if self.transform is not None:
                return items  # the transform pads or crops them
            raise ValueError(
                "The samples of a batch have different shapes "
                f"{sorted({item.shape for item in items})[:3]}. Fix: pass "
                "transform=lambda x, y: (keras.utils.pad_sequences(x, "
                "padding='post', dtype='float32'), y)."
            )
        return np.stack(items)

    def on_epoch_begin(self):
        """Start an epoch on the current draw (Keras calls it before each epoch)."""
        build_step = self._epochs.begin()
        if build_step and self.workers > 1 and keras.backend.backend() != "tensorflow":
            warnings.warn(
                f"BalancedBatches(workers={self.workers}) on the "
                f"{keras.backend.backend()} backend: Keras reads batches ahead "
                "while it builds the model, then serves each epoch the batches "
                "read ahead in the one before, so epochs train mostly on the "
                "previous draw. Fix: pass workers=1 on this backend.",
                stacklevel=2,
            )

    def on_epoch_end(self):
        """Draw the next epoch's balanced indices (Keras calls it after each epoch).

        After an epoch begun with `on_epoch_begin` that read every batch of the
        draw, the new draw is made at once (before Keras restarts its workers).
        Any other call (the one Keras makes before the first epoch, or a
        hand-written loop's) takes effect at the next read of a batch or of
        `epoch_indices` from the same thread, and is dropped if an epoch begins
        first: a draw nobody trained on is kept.
        """
        processes = self.use_multiprocessing and self.workers > 0
        if self._epochs.end(
            len(self), workers=processes or self.workers > 1, processes=processes
        ):
            self._draw()


def _check_indexable(x):
    if not (hasattr(x, "__getitem__") and hasattr(x, "__len__")):
        raise TypeError(
            "`x` should be indexable by sample: a NumPy array or memmap of shape "
            "(n, ...), or a sequence of n items (file paths with a `loader`, "
            f"variable-length arrays). Received: x of type {type(x).__name__}, "
            "which has no len() or [index]. Fix: materialise a generator or "
            "dataset with x = np.stack(list(samples)), or write its samples to "
            "files and pass their paths with loader=np.load."
        )


def _check_items_need_no_loader(x):
    # One item only: `x` may be a memmap or a lazy sequence of files.
    first = x[0]
    if isinstance(first, str | bytes | os.PathLike):
        raise ValueError(
            "`loader` should be a callable that reads one item of `x` when `x` "
            "holds file paths or strings; without it the batches would be arrays "
            f"of strings. Received: loader=None and x of {len(x)} items such as "
            f"{first!r}. Fix: pass loader=np.load for .npy files, or your own "
            "function that returns one sample as an array."
        )
