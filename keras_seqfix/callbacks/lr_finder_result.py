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


def suggest(lrs, losses, batches_per_point=1):
    """Suggested learning rates from a range test, one per method.

    Args:
        lrs: learning rates, increasing.
        losses: smoothed losses at those learning rates.
        batches_per_point: batches behind each point (the model's
            `steps_per_execution`); the rules then run on the curve
            interpolated to one point per batch. Defaults to `1`.

    Returns:
        dict with `"valley"`, `"steepest"` and `"minimum"`; `nan` for each when
        fewer than 3 usable points were recorded.
    """
    lrs, losses = _trim(
        np.asarray(lrs, float), np.asarray(losses, float), int(batches_per_point)
    )
    if len(losses) < 3:
        return dict.fromkeys(SUGGESTION_METHODS, math.nan)
    return {
        "valley": _valley(lrs, losses),
        "steepest": _steepest(lrs, losses),
        "minimum": _minimum(lrs, losses),
    }


class LRFinderResult:
    """What a learning-rate range test measured, and the rates it suggests.

    Attributes:
        lrs: learning rate of each recorded step (`np.ndarray`).
        losses: bias-corrected, exponentially smoothed loss per step.
        raw_losses: the per-batch loss of each step (recovered from Keras's
            running mean).
        suggestions: dict by method. `"valley"` (fastai's default): a point a
            half of the way into the longest stretch where the loss keeps
            falling, robust to noise. `"steepest"`: where the loss falls
            fastest per log-step, before its minimum. `"minimum"`: the rate at the lowest loss,
            divided by 10.
        method: the method behind `suggestion`. Defaults to `"valley"`.
        suggestion: `suggestions[method]`, the learning rate to start from. The
            test sees only the training loss: it cannot tell that a very short
            run gains from a higher rate, or that a tiny data set overfits at a
            higher rate. When you can afford a few runs, also try 3x above and
            below it (docs/callbacks.md, "Quality of the suggestion").
        diverged: whether the test stopped because the loss diverged or
            became non-finite.
        batches_per_point: batches behind each point, the model's
            `steps_per_execution`; the suggestions are computed on the curve
            interpolated to one point per batch. Defaults to `1`.

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
            ax: a matplotlib `Axes` to draw on. Defaults to a new figure.

        Returns:
            The matplotlib `Axes`.

        Raises:
            ImportError: if matplotlib is not installed.
        """
        try:
            import matplotlib.pyplot as plt
        except ImportError as exc:
            raise ImportError(
                "LRFinderResult.plot() needs matplotlib. Install it with "
                "`pip install keras-seqfix[plot]`."
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
