"""The fixed parts of MiniRocket (Dempster, Schmidt and Webb, KDD 2021), in NumPy.

The kernels, the dilations for a series length, the quantiles that place the
biases, and the bias fit itself: everything `MiniRocketFeatures` decides once,
on the host, before its transform runs with `keras.ops`. Written after the
authors' reference code (`minirocket.py` and `minirocket_multivariate.py` in
`angus924/minirocket`); the names of the steps follow it.
"""

import itertools

import numpy as np

KERNEL_LENGTH = 9
#: The 84 kernels: every choice of 3 of the 9 positions gets weight 2, the
#: other 6 get -1 (so every kernel sums to 0).
KERNEL_INDICES = np.array(list(itertools.combinations(range(KERNEL_LENGTH), 3)))
NUM_KERNELS = len(KERNEL_INDICES)  # 84
#: (9, 84): the weight of position k in kernel j.
KERNEL_WEIGHTS = np.full((KERNEL_LENGTH, NUM_KERNELS), -1.0, dtype="float32")
for _j, _positions in enumerate(KERNEL_INDICES):
    KERNEL_WEIGHTS[_positions, _j] = 2.0
#: At most this many channels are summed into one kernel's input.
MAX_CHANNELS_PER_COMBINATION = 9


def fit_dilations(reference_length, num_features, max_dilations_per_kernel):
    """Dilations spread exponentially up to the series length, and features each.

    Returns `(dilations, features_per_dilation)`, two int arrays of equal length
    whose features add up to `num_features // 84` per kernel. A series shorter
    than 9 steps gets dilation 1 only (the reference needs 9 steps at least).
    """
    per_kernel = num_features // NUM_KERNELS
    true_max = min(per_kernel, max_dilations_per_kernel)
    multiplier = per_kernel / true_max
    max_exponent = max(0.0, np.log2((reference_length - 1) / (KERNEL_LENGTH - 1)))
    dilations, counts = np.unique(
        np.logspace(0, max_exponent, true_max, base=2).astype(np.int32),
        return_counts=True,
    )
    counts = (counts * multiplier).astype(np.int32)
    remainder = per_kernel - int(counts.sum())
    i = 0
    while remainder > 0:
        counts[i] += 1
        remainder -= 1
        i = (i + 1) % len(counts)
    return dilations.astype(int), counts.astype(int)


def quantiles(n):
    """The low-discrepancy sequence `(k * golden ratio) % 1`, `k = 1..n`."""
    return np.array(
        [(k * ((np.sqrt(5) + 1) / 2)) % 1 for k in range(1, n + 1)], dtype="float32"
    )


def draw_channel_masks(rng, num_dilations, num_channels, max_dilations):
    """`(max_dilations, 84, channels)` 0/1 masks: the channels each kernel sums.

    As in the multivariate reference: per dilation and kernel, `2 ** u` channels
    with `u ~ U(0, log2(min(channels, 9) + 1))`, drawn without replacement.
    Rows past `num_dilations` stay zero (unused).
    """
    masks = np.zeros((max_dilations, NUM_KERNELS, num_channels), dtype="float32")
    top = np.log2(min(num_channels, MAX_CHANNELS_PER_COMBINATION) + 1)
    counts = (2 ** rng.uniform(0, top, num_dilations * NUM_KERNELS)).astype(np.int32)
    for combination, count in enumerate(counts):
        chosen = rng.choice(num_channels, count, replace=False)
        masks[combination // NUM_KERNELS, combination % NUM_KERNELS, chosen] = 1.0
    return masks


def kernel_outputs(series, dilation, channel_masks):
    """The 84 kernels at `dilation` on one series each, with zero padding.

    Args:
        series: `(84, time, channels)`, the series that kernel j reads in row j.
        dilation: the dilation.
        channel_masks: `(84, channels)` 0/1, the channels each kernel sums.

    Returns:
        `(84, time)` float64: row j is kernel j's output on its series.
    """
    summed = np.einsum("jtc,jc->jt", series.astype("float64"), channel_masks)
    time = summed.shape[1]
    out = np.zeros_like(summed)
    for k in range(KERNEL_LENGTH):
        offset = (k - KERNEL_LENGTH // 2) * dilation
        lo, hi = max(0, -offset), min(time, time - offset)
        if lo < hi:
            out[:, lo:hi] += (
                KERNEL_WEIGHTS[k][:, None] * summed[:, lo + offset : hi + offset]
            )
    return out


def fit_biases(data, valid, dilations, features_per_dilation, channel_masks, rng):
    """Biases from quantiles of the kernel outputs on random training series.

    For each dilation and kernel one series is drawn (as in the reference); its
    kernel output over the series' real steps gives the biases at the next
    quantiles of the sequence.

    Args:
        data: `(n, time, channels)` float, padded steps zero.
        valid: `(n, time)` bool, the real steps (one contiguous run per series).
        dilations, features_per_dilation: from `fit_dilations`.
        channel_masks: from `draw_channel_masks`.
        rng: a `numpy.random.Generator`.

    Returns:
        float32 biases, `84 * sum(features_per_dilation)` of them.
    """
    q = quantiles(NUM_KERNELS * int(np.sum(features_per_dilation)))
    biases = np.zeros(len(q), dtype="float32")
    start = 0
    for i, (dilation, count) in enumerate(
        zip(dilations, features_per_dilation, strict=True)
    ):
        rows = rng.integers(0, len(data), size=NUM_KERNELS)
        outputs = kernel_outputs(data[rows], dilation, channel_masks[i])
        for j in range(NUM_KERNELS):
            steps = valid[rows[j]]
            values = outputs[j][steps] if steps.any() else outputs[j]
            biases[start : start + count] = np.quantile(
                values, q[start : start + count]
            )
            start += count
    return biases
