"""`TuneResult`: what `tune` found: the best model, its values and every trial."""

import math
import numbers

import numpy as np


class TuneResult:
    """The best model of a `tune` search, its hyper-parameters and every trial.

    Attributes:
        model (keras.Model): the best `keras.Model`: retrained on all the training data
            with the best hyper-parameters (`refitted`), or the best trial's own.
        hyperparameters (dict): the best trial's values, a dict.
        table (list of dict): one dict per trial, in the order they ran: `trial` (1, 2,
            ...), `hyperparameters` (dict), `score` (mean best validation loss; `None`
            for a failed or unfinished trial), `seconds` and `status`.
        best_score (float or None): the best trial's score.
        objective (str): what the score is, `"val_loss"` (lower is better).
        cross_validated (bool): whether the scores are means over folds.
        refitted (bool): whether `model` was retrained on all the training data.
        interrupted (bool): whether the search was stopped by Ctrl-C.
        seconds (float): the wall-clock seconds of the whole call.

    Examples:
        >>> from keras_seqfix.tuning import TuneResult
        >>> result = TuneResult(
        ...     model=None, hyperparameters={"units": 64},
        ...     table=[
        ...         {"trial": 1, "hyperparameters": {"units": 128}, "score": 0.41,
        ...          "seconds": 3.0, "status": "completed"},
        ...         {"trial": 2, "hyperparameters": {"units": 64}, "score": 0.32,
        ...          "seconds": 2.5, "status": "completed"}],
        ...     best_score=0.32)
        >>> result.importance()
        {'units': 1.0}
        >>> print(result)
        TuneResult: best val_loss 0.3200 after 2 trials (5.5 s of trials)
          units=64
    """

    def __init__(
        self,
        *,
        model,
        hyperparameters,
        table,
        best_score,
        objective="val_loss",
        cross_validated=False,
        refitted=False,
        interrupted=False,
        seconds=None,
    ):
        self.model = model
        self.hyperparameters = dict(hyperparameters)
        self.table = list(table)
        self.best_score = best_score
        self.objective = objective
        self.cross_validated = cross_validated
        self.refitted = refitted
        self.interrupted = interrupted
        self.seconds = seconds

    def _scored(self):
        return [row for row in self.table if row["score"] is not None]

    def importance(self):
        """How much of the score's spread each hyper-parameter explains, 0 to 1.

        For a numeric hyper-parameter, the squared Spearman rank correlation
        between its values and the scores; for a categorical one (a choice of
        strings or booleans), the share of the score variance between its
        values (eta squared). A rough guide on a few trials, not a test.

        Returns:
            (dict of str to float): A dict `{name: importance}`, most important first.
        """
        rows = self._scored()
        scores = np.array([row["score"] for row in rows], dtype="float64")
        found = {}
        names = {name for row in rows for name in row["hyperparameters"]}
        for name in sorted(names):
            values = [row["hyperparameters"].get(name) for row in rows]
            kept = [i for i, v in enumerate(values) if v is not None]
            if len({repr(values[i]) for i in kept}) < 2:
                continue
            found[name] = _explained([values[i] for i in kept], scores[kept])
        return dict(sorted(found.items(), key=lambda item: -item[1]))

    def plot(self, ax=None):
        """Plot the score by trial and by the most important hyper-parameter.

        Args:
            ax (sequence of matplotlib.axes.Axes or None): optional pair of matplotlib
                axes. Defaults to `None` (a new figure with two axes).

        Returns:
            (matplotlib.figure.Figure): The matplotlib `Figure`.

        Raises:
            ImportError: if matplotlib is not installed (`pip install
                "keras-seqfix[plot]"`).
        """
        try:
            import matplotlib.pyplot as plt
        except ImportError as exc:
            raise ImportError(
                "TuneResult.plot needs matplotlib. Install the `plot` extra: "
                '`pip install "keras-seqfix[plot]"`.'
            ) from exc
        if ax is None:
            fig, ax = plt.subplots(1, 2, figsize=(10, 3.8))
        fig = ax[0].figure
        rows = self._scored()
        trials = [row["trial"] for row in rows]
        scores = [row["score"] for row in rows]
        ax[0].plot(trials, scores, "o", label="trial")
        ax[0].plot(trials, np.minimum.accumulate(scores), "-", label="best so far")
        ax[0].set_xlabel("trial")
        ax[0].set_ylabel(self.objective)
        ax[0].legend()
        importance = self.importance()
        if importance:
            name = next(iter(importance))
            values = [row["hyperparameters"].get(name) for row in rows]
            numeric = all(_is_number(v) for v in values)
            shown = values if numeric else [str(v) for v in values]
            ax[1].plot(shown, scores, "o")
            if name == "learning_rate":
                ax[1].set_xscale("log")
            ax[1].set_xlabel(f"{name} (importance {importance[name]:.2f})")
        else:
            ax[1].set_xlabel("(no hyper-parameter varied)")
        ax[1].set_ylabel(self.objective)
        fig.tight_layout()
        return fig

    def __str__(self):
        seconds = sum(
            row["seconds"] for row in self.table if _is_number(row["seconds"])
        )
        lines = [
            f"TuneResult: best {self.objective} {self.best_score:.4f} after "
            f"{len(self.table)} trials ({seconds:.1f} s of trials)"
            + (", interrupted" if self.interrupted else "")
        ]
        lines += [f"  {k}={v}" for k, v in self.hyperparameters.items()]
        return "\n".join(lines)

    def __repr__(self):
        return (
            f"<TuneResult best {self.objective}={self.best_score:.4f}, "
            f"{len(self.table)} trials>"
        )


def _is_number(value):
    return (
        isinstance(value, numbers.Real)
        and not isinstance(value, bool)
        and math.isfinite(value)
    )


def _explained(values, scores):
    if len(scores) < 2 or np.var(scores) == 0:
        return 0.0
    if all(_is_number(v) for v in values):
        from scipy.stats import spearmanr

        rho = spearmanr(np.asarray(values, dtype="float64"), scores).statistic
        return 0.0 if not math.isfinite(rho) else float(rho**2)
    groups = {}
    for value, score in zip(values, scores, strict=True):
        groups.setdefault(repr(value), []).append(score)
    mean = scores.mean()
    between = sum(len(g) * (np.mean(g) - mean) ** 2 for g in groups.values())
    return float(between / ((scores - mean) ** 2).sum())
