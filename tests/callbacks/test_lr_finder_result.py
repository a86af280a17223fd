import math

import numpy as np
import pytest

from keras_seqfix.callbacks import LRFinderResult
from keras_seqfix.callbacks.lr_finder_result import (
    SUGGESTION_METHODS,
    SUGGESTION_RULES,
    budget_factor,
    suggest,
)


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


def test_all_rules_returns_every_candidate():
    lrs, losses = _valley_curve()
    out = suggest(lrs, losses, budget=300, val_losses=losses, all_rules=True)
    assert set(out) == set(SUGGESTION_RULES)
    assert all(math.isfinite(v) and v > 0 for v in out.values())
    # Without all_rules, the three methods of `find_lr`, unchanged.
    assert suggest(lrs, losses) == {k: out[k] for k in SUGGESTION_METHODS}


def test_lightning_rule_matches_its_reference():
    # Lightning's suggestion written out: np.gradient on losses[10:-1], argmin.
    lrs, losses = _valley_curve()
    rng = np.random.default_rng(1)
    losses = losses + rng.normal(0, 0.01, len(losses))
    expected = lrs[10:-1][np.argmin(np.gradient(losses[10:-1]))]
    assert suggest(lrs, losses, all_rules=True)["lightning"] == expected


def test_slide_finds_the_end_of_the_plateau():
    # A descent centred on 1e-5, a long plateau, divergence from 1e-2 on: slide
    # walks a 15-point window left from the end while the gradients at its two
    # ends differ, so it stops once both lie on the plateau, its left end about
    # 15 points (a decade here) below the divergence.
    lrs = np.geomspace(1e-7, 10.0, 130)
    x = np.log10(lrs)
    losses = (
        2.0 - 1.5 / (1 + np.exp(-(x + 5.0) * 4)) + np.where(x > -2, (x + 2) ** 2, 0)
    )
    lr = suggest(lrs, losses, all_rules=True)["slide"]
    assert 1e-4 < lr < 1e-2


def test_budget_rules_shrink_with_the_budget_and_not_below_the_test():
    lrs, losses = _valley_curve()
    at = {b: suggest(lrs, losses, budget=b, all_rules=True) for b in (50, 100, 3000)}
    # No shrinking up to the test's own length (100 points, one batch each).
    assert at[50]["budget_valley"] == at[100]["budget_valley"] == at[100]["valley"]
    assert at[3000]["budget_valley"] == pytest.approx(
        at[100]["valley"] / (1 + math.log(30))
    )
    assert at[3000]["budget_minimum"] < at[100]["budget_minimum"]
    # A test that diverged after 60 of its planned 100 batches: the budget is
    # compared with the planned length when given, else with the 60 recorded.
    short = suggest(lrs[:60], losses[:60], budget=100, test_steps=100, all_rules=True)
    assert short["budget_valley"] == short["valley"]
    short = suggest(lrs[:60], losses[:60], budget=100, all_rules=True)
    assert short["budget_valley"] == pytest.approx(
        short["valley"] / (1 + math.log(100 / 60))
    )
    assert budget_factor(300, 100) == pytest.approx(1 + math.log(3))
    assert budget_factor(10, 100) == 1.0


def test_validation_rules_follow_the_validation_curve():
    # The training loss keeps falling up to 1e-2; the validation loss turns up
    # a decade earlier (overfitting at high rates): the val_* rules, and only
    # they, move down with it.
    lrs, losses = _valley_curve()
    x = np.log10(lrs)
    val = losses + np.where(x > -3, (x + 3) ** 2, 0)
    out = suggest(lrs, losses, val_losses=val, all_rules=True)
    assert out["val_minimum"] < out["minimum"] / 3
    assert out["val_valley"] <= out["valley"]
    # Without validation losses (or with a curve of another length): nan.
    none = suggest(lrs, losses, all_rules=True)
    assert math.isnan(none["val_valley"]) and math.isnan(none["val_minimum"])
    short = suggest(lrs, losses, val_losses=val[:10], all_rules=True)
    assert math.isnan(short["val_valley"])
