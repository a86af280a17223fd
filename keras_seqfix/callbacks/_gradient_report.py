"""Messages, summary table and plot for `GradientNormMonitor`."""

import math

import numpy as np

from keras_seqfix._deprecation import deprecated

VANISHING_FIX = (
    "Fix: use LSTM or GRU layers instead of SimpleRNN, fewer stacked recurrent "
    "layers (or residual connections / LayerNormalization between them), scale "
    "the inputs (saturated tanh/sigmoid units pass no gradient), or start from "
    "`ksf.build_lstm_classifier(...)`."
)
EXPLODING_FIX = (
    "Fix: clip the gradients, e.g. `keras.optimizers.Adam(1e-3, clipnorm=1.0)`; "
    "lower the learning rate (`ksf.find_lr(model, x, y)` suggests one); scale "
    "the inputs; keep the default glorot/orthogonal initialisers."
)


#: code, score and fix of each kind of problem (`keras_seqfix.diagnosis.Finding`).
_KINDS = {
    "exploding": ("exploding_gradients", 0.8),
    "vanishing": ("vanishing_gradients", 0.7),
}


def finding(kind, message, evidence):
    """The `Finding` for a problem of `kind` whose warning is `message`."""
    from keras_seqfix.diagnosis.finding import Finding, severity_of

    code, score = _KINDS[kind]
    title, _, fix = message.partition(" Fix: ")
    return Finding(
        code, severity_of(score), title, {"kind": kind, **evidence}, fix, score
    )


class Problems(list):
    """`GradientNormMonitor.problems`: the problems flagged, as `Finding`s.

    Until 0.2 it was a dict `{"exploding" | "vanishing": message}`; that access
    (`"vanishing" in problems`, `problems["vanishing"]`, `.keys()`, `.values()`,
    `.items()`) still works for one release, with a `DeprecationWarning`.
    """

    def kind(self, kind):
        """The finding of `kind` (`"exploding"` or `"vanishing"`), or `None`."""
        for item in self:
            if item.evidence.get("kind") == kind:
                return item
        return None

    def _legacy(self, what):
        deprecated(
            f"`GradientNormMonitor.problems{what}` (dict access)",
            "the `Finding`s it holds, e.g. `[f.code for f in monitor.problems]`",
            stacklevel=4,  # the user's line
        )

    def _message(self, item):
        return f"{item.title} Fix: {item.fix}"

    def __contains__(self, item):
        if isinstance(item, str):
            self._legacy(f" with `{item!r} in`")
            return self.kind(item) is not None
        return super().__contains__(item)

    def __getitem__(self, index):
        if isinstance(index, str):
            self._legacy(f"[{index!r}]")
            item = self.kind(index)
            if item is None:
                raise KeyError(index)
            return self._message(item)
        return super().__getitem__(index)

    def keys(self):
        self._legacy(".keys()")
        return [item.evidence["kind"] for item in self]

    def values(self):
        self._legacy(".values()")
        return [self._message(item) for item in self]

    def items(self):
        self._legacy(".items()")
        return [(item.evidence["kind"], self._message(item)) for item in self]


def vanishing_message(first, first_norm, last, last_norm, global_norm, ratio, floor):
    if global_norm < floor:
        what = (
            f"the global gradient norm is {global_norm:.2e}, below "
            f"vanishing_threshold={floor:g}"
        )
    else:
        what = (
            f"the first layer '{first}' gets a gradient norm of {first_norm:.2e}, "
            f"{first_norm / last_norm:.1e} times that of the last layer '{last}' "
            f"({last_norm:.2e}; vanishing_ratio={ratio:g})"
        )
    return f"GradientNormMonitor: vanishing gradients: {what}. {VANISHING_FIX}"


def exploding_message(peak, nonfinite_steps, threshold):
    if nonfinite_steps:
        what = f"{int(nonfinite_steps)} step(s) had non-finite (inf/NaN) gradients"
    else:
        what = (
            f"the global gradient norm reached {peak:.2e}, above "
            f"exploding_threshold={threshold:g}"
        )
    return f"GradientNormMonitor: exploding gradients: {what}. {EXPLODING_FIX}"


def summary_table(history, layer_names, problems):
    """Text table of per-layer epoch-mean gradient norms."""
    if not history.get("grad_norm"):
        return "GradientNormMonitor: no training step recorded yet."
    width = max([len(n) for n in layer_names] + [len("(global)")])
    header = f"{'layer':<{width}}  {'last epoch':>10}  {'min':>10}  {'max':>10}  {'/ last layer':>12}"
    lines = [header, "-" * len(header)]
    last_layer = (
        history[f"grad_norm/{layer_names[-1]}"][-1] if layer_names else math.nan
    )
    rows = [("(global)", history["grad_norm"])]
    rows += [(name, history[f"grad_norm/{name}"]) for name in layer_names]
    for name, values in rows:
        values = np.asarray(values, dtype=float)
        finite = values[np.isfinite(values)]
        low = finite.min() if len(finite) else math.nan
        high = finite.max() if len(finite) else math.nan
        relative = values[-1] / last_layer if last_layer else math.nan
        rel = "" if name == "(global)" else f"{relative:12.2e}"
        lines.append(
            f"{name:<{width}}  {values[-1]:10.3e}  {low:10.3e}  {high:10.3e}  {rel:>12}"
        )
    epochs = len(history["grad_norm"])
    lines.append(f"{epochs} epoch(s); norms are epoch means of the per-step L2 norms.")
    if problems:
        lines += [f"{item.title} Fix: {item.fix}" for item in problems]
    else:
        lines.append("No vanishing or exploding gradients flagged.")
    return "\n".join(lines)


def plot_history(history, layer_names, ax=None):
    """Per-layer epoch-mean gradient norms over epochs, log scale."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(
            "GradientNormMonitor.plot() needs matplotlib. Install it with "
            '`pip install "keras-seqfix[plot]"`.'
        ) from exc
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4), layout="constrained")
    epochs = np.arange(1, len(history.get("grad_norm", [])) + 1)
    cmap = plt.get_cmap("viridis")
    for i, name in enumerate(layer_names):
        colour = cmap(i / max(1, len(layer_names) - 1))
        ax.plot(
            epochs, history[f"grad_norm/{name}"], marker="o", color=colour, label=name
        )
    ax.plot(epochs, history.get("grad_norm", []), "k--", lw=2, label="global")
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("gradient L2 norm (epoch mean)")
    ax.legend(fontsize="small")
    return ax
