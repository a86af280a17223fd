import math

import numpy as np
import pytest

from keras_seqfix.callbacks import LRFinderResult


def _valley_curve(n=100):
    """Flat, then a clean valley centred on lr=1e-3, then divergence."""
    lrs = np.geomspace(1e-6, 1.0, n)
    x = np.log10(lrs)
    losses = (
        2.0 - 1.5 / (1 + np.exp(-(x + 4.0) * 3)) + np.where(x > -2, (x + 2) ** 2 * 3, 0)
    )
    return lrs, losses


def test_suggestions_on_known_valley():
    lrs, losses = _valley_curve()
    result = LRFinderResult(lrs, losses, losses)
    minimum_lr = lrs[np.argmin(losses)]
    # valley: inside the descending stretch, well before the minimum
    assert 1e-5 < result.suggestions["valley"] < minimum_lr
    # steepest: where the loss falls fastest, the sigmoid's centre 1e-4
    assert result.suggestions["steepest"] == pytest.approx(1e-4, rel=0.3)
    assert result.suggestions["minimum"] == pytest.approx(minimum_lr / 10)
    assert result.suggestion == result.suggestions["valley"]


def test_valley_matches_fastai_reference():
    # fastai's `valley` written out with loops, the reference implementation.
    lrs, losses = _valley_curve(60)
    rng = np.random.default_rng(0)
    losses = losses + rng.normal(0, 0.01, len(losses))
    n = len(losses)
    lo, hi = n // 10, n - 5
    trimmed = losses[lo:hi]
    lds = [1] * len(trimmed)
    max_start = max_end = 0
    for i in range(1, len(trimmed)):
        for j in range(i):
            if trimmed[i] < trimmed[j] and lds[i] < lds[j] + 1:
                lds[i] = lds[j] + 1
            if lds[max_end] < lds[i]:
                max_end = i
                max_start = max_end - lds[max_end]
    sections = (max_end - max_start) / 3
    idx = max_start + int(sections) + int(sections / 2)
    result = LRFinderResult(lrs, losses, losses)
    assert result.suggestions["valley"] == lrs[lo:hi][idx]


def test_method_choice_and_validation():
    lrs, losses = _valley_curve()
    result = LRFinderResult(lrs, losses, losses, method="minimum")
    assert result.suggestion == result.suggestions["minimum"]
    with pytest.raises(ValueError, match="`method` should be one of"):
        LRFinderResult(lrs, losses, losses, method="best")


def test_too_few_points_gives_nan():
    result = LRFinderResult([1e-3, 1e-2], [1.0, np.nan], [1.0, np.nan])
    assert math.isnan(result.suggestion)


def test_plot_marks_suggestion():
    plt = pytest.importorskip("matplotlib.pyplot")
    lrs, losses = _valley_curve()
    result = LRFinderResult(lrs, losses, losses)
    ax = result.plot()
    labels = ax.get_legend_handles_labels()[1]
    assert any("(suggestion)" in label and "valley" in label for label in labels)
    # The axis labels stay inside the saved figure, also under a title added later.
    ax.set_title("find_lr on my model")
    ax.figure.canvas.draw()
    for label in (ax.xaxis.label, ax.yaxis.label, ax.title):
        box = label.get_window_extent()
        assert box.x0 >= 0 and box.y0 >= 0, label.get_text()
        assert box.x1 <= ax.figure.bbox.x1 and box.y1 <= ax.figure.bbox.y1
    plt.close("all")


def test_batches_per_point_suggests_as_on_the_per_batch_curve():
    # steps_per_execution=4 records one point per 4 batches. The rules (fastai's,
    # written for one point per batch) run on the curve interpolated back to one
    # point per batch: the same valley as the dense curve, the same minimum.
    lrs, losses = _valley_curve(97)
    dense = LRFinderResult(lrs, losses, losses)
    coarse = LRFinderResult(lrs[::4], losses[::4], losses[::4], batches_per_point=4)
    assert coarse.batches_per_point == 4 and "batches_per_point=4" in repr(coarse)
    assert coarse.suggestions["valley"] == pytest.approx(
        dense.suggestions["valley"], rel=1e-6
    )
    assert coarse.suggestions["minimum"] == pytest.approx(dense.suggestions["minimum"])
    ratio = coarse.suggestions["steepest"] / dense.suggestions["steepest"]
    assert 1 / 1.8 < ratio < 1.8  # within one recorded point (4 batches)
    # Fewer than 3 recorded points stay nan, interpolation or not.
    two = LRFinderResult([1e-3, 1e-2], [1.0, 0.5], [1.0, 0.5], batches_per_point=8)
    assert math.isnan(two.suggestion)
