"""Per-epoch index draws for balanced batches.

imbalanced-learn's `BalancedBatchGenerator` resamples once, at construction; these
helpers draw a fresh balanced epoch every time, cycle through each class so that
every sample is used, and interleave the classes so that every batch is balanced.
"""

import numpy as np

STRATEGIES = ("oversample", "undersample", "sqrt")


def per_class_targets(counts, strategy):
    """How many samples of each class one epoch holds."""
    counts = np.asarray(counts, dtype=np.int64)
    if strategy == "oversample":
        return np.full_like(counts, counts.max())
    if strategy == "undersample":
        return np.full_like(counts, counts.min())
    # "sqrt": class probability proportional to sqrt(n_c) (square-root sampling,
    # Mahajan et al. 2018), over an epoch as long as the data.
    share = np.sqrt(counts) / np.sqrt(counts).sum()
    return np.maximum(1, np.round(share * counts.sum())).astype(np.int64)


class ClassCycler:
    """Hands out the indices of one class, a permutation at a time.

    Consecutive `take` calls continue where the last one stopped, across epochs,
    so over `ceil(n / m)` epochs of `m` draws every sample of the class is used;
    when more than `n` are needed, each sample appears `floor` or `ceil(m / n)`
    times instead of a random number of times.
    """

    def __init__(self, indices, rng, shuffle=True):
        self.indices = np.asarray(indices, dtype=np.int64)
        self.rng = rng
        self.shuffle = shuffle
        self._order = self._new_order()
        self._pos = 0

    def _new_order(self):
        if self.shuffle:
            return self.rng.permutation(self.indices)
        return self.indices

    def take(self, m):
        out = np.empty(m, dtype=np.int64)
        filled = 0
        while filled < m:
            if self._pos == len(self._order):
                self._order, self._pos = self._new_order(), 0
            step = min(m - filled, len(self._order) - self._pos)
            out[filled : filled + step] = self._order[self._pos : self._pos + step]
            filled += step
            self._pos += step
        return out


def interleave(groups, rng, shuffle=True):
    """Merge per-class index arrays so that every window has their proportions.

    Draw `j` of a class with `m` draws gets the key `(j + u) / m`, with one
    random offset `u` in `[0, 1)` per class (0.5 without shuffling): each class is
    spread evenly over the epoch, so with equal counts every batch holds each
    class within one sample of its share. (The groups come shuffled already.)
    """
    keys = []
    for group in groups:
        m = len(group)
        offset = rng.uniform() if shuffle else 0.5
        keys.append((np.arange(m) + offset) / m)
    order = np.argsort(np.concatenate(keys), kind="stable")
    return np.concatenate(groups)[order]
