"""`DiagnosisReport.plot`: training curves, LR range test, per-layer gradient norms."""


def plot_report(report, path=None):
    """Draw the report's measurements on one figure (see `DiagnosisReport.plot`)."""
    try:
        import matplotlib

        if path is not None:
            matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(
            "`DiagnosisReport.plot()` needs matplotlib. Install it with "
            '`pip install "keras-seqfix[plot]"`.'
        ) from exc
    fig, axes = plt.subplots(1, 4, figsize=(19, 4))
    curves, lr_ax, grad_ax, class_ax = axes

    for name, values in report.history.items():
        if name.endswith("loss") and len(values):
            curves.plot(range(1, len(values) + 1), values, label=name)
    curves.set(title="Training curves", xlabel="epoch", ylabel="loss")
    if curves.lines:
        curves.legend()
    else:
        curves.text(0.5, 0.5, "no curves", ha="center", transform=curves.transAxes)

    result = report.lr_result
    if result is not None and len(result.lrs):
        lr_ax.plot(result.lrs, result.losses)
        lr_ax.set_xscale("log")
        lr_ax.axvline(result.suggestion, color="g", ls="--", label="suggestion")
        user_lr = report.measurements.get("learning_rate")
        if user_lr:
            lr_ax.axvline(user_lr, color="r", ls=":", label="your learning rate")
        lr_ax.legend()
    else:
        lr_ax.text(0.5, 0.5, "LR test not run", ha="center", transform=lr_ax.transAxes)
    lr_ax.set(title="Learning-rate range test", xlabel="learning rate", ylabel="loss")

    norms = report.gradient_norms
    if norms:
        names = list(norms)
        grad_ax.bar(range(len(names)), [max(norms[n], 1e-30) for n in names])
        grad_ax.set_xticks(range(len(names)), names, rotation=45, ha="right")
        grad_ax.set_yscale("log")
    else:
        grad_ax.text(0.5, 0.5, "not measured", ha="center", transform=grad_ax.transAxes)
    grad_ax.set(title="Gradient norm per layer (at init)", ylabel="L2 norm")
    _per_class(class_ax, report)
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=100)
    return fig


def _per_class(ax, report):
    """Per-class recall of the user's model, with the reference's balanced
    accuracy as a line: the classes the model misses, against what is possible."""
    view, ref = report.per_class, report.reference or {}
    if view:
        classes = list(view["recall"])
        ax.bar(range(len(classes)), [view["recall"][c] for c in classes])
        ax.set_xticks(range(len(classes)), [str(c) for c in classes])
    else:
        ax.text(0.5, 0.5, "model untrained", ha="center", transform=ax.transAxes)
    if ref.get("balanced_accuracy") is not None:
        ax.axhline(
            ref["balanced_accuracy"], color="g", ls="--", label="reference (balanced)"
        )
        ax.legend(loc="lower right")
    ax.set(title="Recall per class", xlabel="class", ylabel="recall", ylim=(0, 1.05))
