"""The outcome of a learning-rate range test and the suggestion rules."""

import math

import numpy as np

SUGGESTION_METHODS = ("valley", "steepest", "minimum")


def _per_batch(lrs, losses, batches_per_point):
    """The curve with one point per batch, as the rules below expect: with `k`
    batches per point (`steps_per_execution=k`), `k - 1` points interpolated
    log-linearly between recorded neighbours."""
    if batches_per_point <= 1:
        return lrs, losses
    n = len(losses)  # at least 3 (`_trim`)
    grid = np.linspace(0, n - 1, (n - 1) * batches_per_point + 1)
    index = np.arange(n)
    return np.exp(np.interp(grid, index, np.log(lrs))), np.interp(grid, index, losses)


def _trim(lrs, losses, batches_per_point=1):
    """Finite points, without the first 10% and the last 5 (fastai's `lr_find`
    trims the same way: the start is still bias-dominated, the end diverges)."""
    keep = np.isfinite(losses) & np.isfinite(lrs) & (lrs > 0)
    lrs, losses = lrs[keep], losses[keep]
    if len(losses) < 3:
        return lrs, losses
    lrs, losses = _per_batch(lrs, losses, batches_per_point)
    n = len(losses)
    if n >= 20:
        lrs, losses = lrs[n // 10 : n - 5], losses[n // 10 : n - 5]
    return lrs, losses


def _valley(lrs, losses):
    # fastai's `valley` (its default since 2.5), rewritten with NumPy: the longest
    # decreasing subsequence of the losses (O(n^2)), then the point half-way into
    # it, `start + int(len / 3) + int(len / 6)` exactly as fastai computes it.
    n = len(losses)
    lds = np.ones(n, dtype=int)
    max_start = max_end = 0
    for i in range(1, n):
        higher = losses[:i] > losses[i]
        if higher.any():
            lds[i] = lds[:i][higher].max() + 1
        if lds[max_end] < lds[i]:
            max_end = i
            max_start = max_end - lds[max_end]
    sections = (max_end - max_start) / 3
    idx = max_start + int(sections) + int(sections / 2)
    return float(lrs[min(idx, n - 1)])


def _steepest(lrs, losses):
    # fastai's `steepest`, restricted to the points up to the lowest loss, so a
    # noisy drop inside the divergence cannot win.
    end = max(int(np.argmin(losses)) + 1, 2)
    grads = np.diff(losses[:end]) / np.diff(np.log(lrs[:end]))
    return float(lrs[int(np.argmin(grads))])


def _minimum(lrs, losses):
    return float(lrs[int(np.argmin(losses))]) / 10.0


def _slide(lrs, losses, lr_diff=15, thresh=0.005):
    # fastai's `slide` (Wayde Gilliam's rule): from the end of the curve, slide
    # a window of `lr_diff` points to the left while the gradients at its two
    # ends differ by more than `thresh`; the rate at its left end.
    grads = np.gradient(losses)
    n = len(losses)
    r_idx, l_idx = n - 1, n - 1 - lr_diff
    if l_idx < 0:
        return float(lrs[0])
    local_min = lrs[l_idx]
    while l_idx >= 0 and abs(grads[r_idx] - grads[l_idx]) > thresh:
        local_min = lrs[l_idx]
        r_idx, l_idx = r_idx - 1, l_idx - 1
    return float(local_min)


def _lightning(lrs, losses, skip_begin=10, skip_end=1):
    # PyTorch Lightning's `_LRFinder.suggestion`: the steepest negative gradient
    # (per point, the rates being log-spaced) of the smoothed loss, skipping
    # `skip_begin` points at the start and `skip_end` at the end of the curve.
    lrs, losses = lrs[skip_begin:-skip_end], losses[skip_begin:-skip_end]
    if len(losses) < 2:
        return math.nan
    return float(lrs[int(np.argmin(np.gradient(losses)))])


def budget_factor(budget, num_steps):
    """How much lower than the range test's valley a run of `budget` steps
    should train: `1 + ln(budget / num_steps)`, and `1` up to `num_steps`.

    The range test sees where the loss falls fastest within its own
    `num_steps` steps. The longer a run at one rate, the more the noise of the
    gradient, not the speed of the descent, sets its final loss, and the noise
    floor of SGD-like updates scales with the rate: the best constant rate
    falls as the run grows. The factor grows with the logarithm of the ratio,
    chosen on principle (not fitted): `3x` the test's steps -> `2.1`, `30x`
    -> `4.4`.

    Args:
        budget: the number of updates the user will train for.
        num_steps: the range test's batches (its `num_steps`).

    Returns:
        float, at least `1.0`.
    """
    return 1.0 + math.log(max(float(budget) / float(num_steps), 1.0))


def _ema(values, smoothing):
    """Bias-corrected exponential moving average (as `LRRangeFinder` smooths)."""
    out, average = np.empty(len(values)), 0.0
    for i, v in enumerate(values):
        average = smoothing * average + (1 - smoothing) * v
        out[i] = average / (1 - smoothing ** (i + 1))
    return out


SUGGESTION_RULES = (
    *SUGGESTION_METHODS,
    "slide",
    "lightning",
    "budget_valley",
    "budget_minimum",
    "val_valley",
    "val_minimum",
)


def suggest(
    lrs,
    losses,
    batches_per_point=1,
    *,
    budget=None,
    test_steps=None,
    val_losses=None,
    all_rules=False,
):
    """Suggested learning rates from a range test, one per method.

    Args:
        lrs: learning rates, increasing.
        losses: smoothed losses at those learning rates.
        batches_per_point: batches behind each point (the model's
            `steps_per_execution`); the rules then run on the curve
            interpolated to one point per batch. Defaults to `1`.
        budget: the number of updates the user will train for, used by the
            budget-aware rules (`budget_factor`); `None` treats it as the
            test's own length (no shrinking). Only with `all_rules=True`.
        test_steps: the range test's planned length in batches (its
            `num_steps`), which `budget` is compared with. Defaults to the
            batches recorded, fewer when the test stopped at a divergence.
        val_losses: validation losses recorded at the same points (Smith
            2017's variant), used by the `val_*` rules; `nan` for them
            without. Only with `all_rules=True`.
        all_rules: also return the candidate rules compared in
            `benchmarks/lr_rules.py`: fastai's `"slide"`, Lightning's
            `"lightning"`, `"budget_valley"` (the valley divided by
            `budget_factor`), `"budget_minimum"` (the rate at the lowest loss
            divided by `10 * budget_factor`), `"val_valley"` and
            `"val_minimum"` (the valley and minimum rules on the smoothed
            validation losses). Defaults to `False`.

    Returns:
        dict with `"valley"`, `"steepest"` and `"minimum"` (and with
        `all_rules=True` the keys of `SUGGESTION_RULES`); `nan` for each when
        fewer than 3 usable points were recorded.
    """
    lrs_in = np.asarray(lrs, float)
    losses_in = np.asarray(losses, float)
    per_point = int(batches_per_point)
    lrs_t, losses_t = _trim(lrs_in, losses_in, per_point)
    names = SUGGESTION_RULES if all_rules else SUGGESTION_METHODS
    if len(losses_t) < 3:
        return dict.fromkeys(names, math.nan)
    out = {
        "valley": _valley(lrs_t, losses_t),
        "steepest": _steepest(lrs_t, losses_t),
        "minimum": _minimum(lrs_t, losses_t),
    }
    if not all_rules:
        return out
    # The test's length in batches: as planned, or its points times the
    # batches behind each.
    num_steps = test_steps or len(lrs_in) * max(per_point, 1)
    factor = budget_factor(budget, num_steps) if budget is not None else 1.0
    keep = np.isfinite(losses_in) & np.isfinite(lrs_in) & (lrs_in > 0)
    lrs_f, losses_f = _per_batch(lrs_in[keep], losses_in[keep], per_point)
    out["slide"] = _slide(lrs_t, losses_t)
    out["lightning"] = _lightning(lrs_f, losses_f)
    out["budget_valley"] = out["valley"] / factor
    out["budget_minimum"] = out["minimum"] / factor
    out["val_valley"] = out["val_minimum"] = math.nan
    if val_losses is not None:
        val = np.asarray(val_losses, float)[: len(lrs_in)]
        if len(val) == len(lrs_in):
            # Validation losses are noisy per point: the test's own smoothing
            # would lag by ~50 points, so a lighter one.
            val = np.where(np.isfinite(val), val, np.inf)
            finite = np.isfinite(val)
            smoothed = np.full(len(val), np.inf)
            smoothed[finite] = _ema(val[finite], 0.9)
            lrs_v, val_t = _trim(lrs_in, smoothed, per_point)
            if len(val_t) >= 3:
                out["val_valley"] = _valley(lrs_v, val_t)
                out["val_minimum"] = _minimum(lrs_v, val_t)
    return out


class LRFinderResult:
    """What a learning-rate range test measured, and the rates it suggests.

    Attributes:
        lrs (np.ndarray): learning rate of each recorded step (`np.ndarray`).
        losses (np.ndarray): bias-corrected, exponentially smoothed loss per step.
        raw_losses (np.ndarray): the per-batch loss of each step (recovered from Keras's
            running mean).
        suggestions (dict of str to float): dict by method. `"valley"` (fastai's
            default): a point a half of the way into the longest stretch where the loss
            keeps falling, robust to noise. `"steepest"`: where the loss falls fastest
            per log-step, before its minimum. `"minimum"`: the rate at the lowest loss,
            divided by 10.
        method (str): the method behind `suggestion`. Defaults to `"valley"`.
        suggestion (float): `suggestions[method]`, the learning rate to start from. The
            test sees only the training loss: it cannot tell that a very short
            run gains from a higher rate, or that a tiny data set overfits at a
            higher rate. When you can afford a few runs, also try 3x above and
            below it (docs/callbacks.md, "Quality of the suggestion").
        diverged (bool): whether the test stopped because the loss diverged or
            became non-finite.
        batches_per_point (int): batches behind each point, the model's
            `steps_per_execution`; the suggestions are computed on the curve
            interpolated to one point per batch. Defaults to `1`.

    Raises:
        ValueError: if `lrs`, `losses` and `raw_losses` are not 1-D sequences of
            one length, or `method` is not a suggestion method.

    Examples:
        >>> lrs = np.geomspace(1e-5, 1.0, 60)
        >>> losses = 1.0 + (np.log10(lrs) + 2.5) ** 2 / 10
        >>> result = LRFinderResult(lrs, losses, losses)
        >>> sorted(result.suggestions)
        ['minimum', 'steepest', 'valley']
        >>> 1e-5 < result.suggestion < 1e-2
        True
    """

    def __init__(
        self,
        lrs,
        losses,
        raw_losses,
        *,
        method="valley",
        diverged=False,
        batches_per_point=1,
    ):
        if method not in SUGGESTION_METHODS:
            raise ValueError(
                f"`method` should be one of {list(SUGGESTION_METHODS)}. "
                f"Received: method={method!r}."
            )
        self.lrs = np.asarray(lrs, dtype=float)
        self.losses = np.asarray(losses, dtype=float)
        self.raw_losses = np.asarray(raw_losses, dtype=float)
        lengths = {
            "lrs": self.lrs.shape,
            "losses": self.losses.shape,
            "raw_losses": self.raw_losses.shape,
        }
        if (
            any(len(s) != 1 for s in lengths.values())
            or len({s[0] for s in lengths.values()}) > 1
        ):
            received = ", ".join(f"{k} of shape {s}" for k, s in lengths.items())
            raise ValueError(
                "`lrs`, `losses` and `raw_losses` should be 1-D and of the same "
                f"length, one value per recorded step. Received: {received}. Pass "
                "the three sequences of one run, e.g. `LRFinderResult(lrs, "
                "losses, raw_losses)` with `len(lrs) == len(losses)`."
            )
        self.method = method
        self.diverged = bool(diverged)
        self.batches_per_point = max(1, int(batches_per_point))
        self.suggestions = suggest(self.lrs, self.losses, self.batches_per_point)

    @property
    def suggestion(self):
        """The learning rate suggested by `method` (a float, `nan` if none)."""
        return self.suggestions[self.method]

    def __repr__(self):
        per_point = (
            f", batches_per_point={self.batches_per_point}"
            if self.batches_per_point > 1
            else ""
        )
        return (
            f"LRFinderResult(suggestion={self.suggestion:.3g} ({self.method}), "
            f"steps={len(self.lrs)}{per_point}, diverged={self.diverged})"
        )

    def plot(self, ax=None):
        """Plot the smoothed loss against the learning rate (log scale), with the
        suggestions marked (the default one as a larger red point).

        Args:
            ax (matplotlib.axes.Axes or None): a matplotlib `Axes` to draw on. Defaults
                to a new figure.

        Returns:
            (matplotlib.axes.Axes): The matplotlib `Axes`.

        Raises:
            ImportError: if matplotlib is not installed.
        """
        try:
            import matplotlib.pyplot as plt
        except ImportError as exc:
            raise ImportError(
                "LRFinderResult.plot() needs matplotlib. Install it with "
                '`pip install "keras-seqfix[plot]"`.'
            ) from exc
        if ax is None:
            _, ax = plt.subplots(figsize=(6, 4), layout="constrained")
        ax.plot(self.lrs, self.raw_losses, color="0.8", lw=1, label="batch loss")
        ax.plot(self.lrs, self.losses, color="C0", lw=2, label="smoothed loss")
        colours = {"valley": "C3", "steepest": "C2", "minimum": "C1"}
        for name, lr in self.suggestions.items():
            if not math.isfinite(lr):
                continue
            y = np.interp(np.log(lr), np.log(self.lrs), self.losses)
            default = name == self.method
            ax.scatter(
                [lr],
                [y],
                s=90 if default else 40,
                color=colours[name],
                zorder=3,
                label=f"{name}: {lr:.2g}" + (" (suggestion)" if default else ""),
            )
        finite = self.losses[np.isfinite(self.losses)]
        if len(finite):
            low, high = finite.min(), finite[: max(1, len(finite) // 10)].max()
            ax.set_ylim(low - 0.1 * abs(high - low), high + 0.6 * abs(high - low))
        ax.set_xscale("log")
        ax.set_xlabel("learning rate")
        ax.set_ylabel("loss")
        ax.legend()
        return ax
