"""`DiagnosisReport`: the ranked findings of `diagnose`, for terminal, markdown, JSON."""

import json

from keras_seqfix.diagnosis.finding import SEVERITIES

HEALTHY_VERDICT = (
    "Healthy: no likely cause of a high loss found (nothing above 'low' severity)."
)


class DiagnosisReport:
    """The findings of `diagnose`, most likely cause first, and what was measured.

    Args:
        findings: the `Finding`s; they are sorted by score (most likely first).
        measurements: the numbers the checks measured, by name.
        lr_result: the `LRFinderResult` of the learning-rate range test, if run.
        gradient_norms: per-layer gradient norms at initialisation, if measured.
        history: the training curves: the user's `history` if given, else the
            probe's (a dict of lists).
        notes: what was skipped and why.

    Attributes:
        findings: list of `Finding`, most likely cause first.
        healthy: `True` when no finding is above `"low"` severity.
        codes: the cause codes in rank order.

    Examples:
        >>> from keras_seqfix.diagnosis import DiagnosisReport, Finding
        >>> report = DiagnosisReport([Finding("class_imbalance", "medium",
        ...     "Classes are imbalanced 12:1", {"ratio": 12.0},
        ...     "ksf.class_weights(y)", 0.5)])
        >>> report.codes, report.healthy
        (['class_imbalance'], False)
        >>> DiagnosisReport([]).healthy
        True
    """

    def __init__(
        self,
        findings,
        *,
        measurements=None,
        lr_result=None,
        gradient_norms=None,
        history=None,
        notes=None,
    ):
        self.findings = sorted(findings, key=lambda f: -f.score)
        self.measurements = dict(measurements or {})
        self.lr_result = lr_result
        self.gradient_norms = dict(gradient_norms or {})
        self.history = dict(history or {})
        self.notes = list(notes or [])

    @property
    def healthy(self):
        return all(f.severity in ("low", "info") for f in self.findings)

    @property
    def codes(self):
        return [f.code for f in self.findings]

    @property
    def problems(self):
        """The findings above `"low"` severity."""
        return [f for f in self.findings if f.severity in ("high", "medium")]

    def _verdict(self):
        if self.healthy:
            return HEALTHY_VERDICT
        top = self.problems[0]
        return f"Most likely cause: {top.code} ({top.severity}). {top.title}."

    def __str__(self):
        lines = ["keras_seqfix diagnosis", "=" * 22, self._verdict(), ""]
        shown = [f for f in self.findings if f.severity != "info"]
        if shown:
            lines.append(
                f"{'#':>2}  {'severity':<8}  {'score':>5}  {'code':<28}  title"
            )
            for rank, f in enumerate(shown, 1):
                lines.append(
                    f"{rank:>2}  {f.severity:<8}  {f.score:>5.2f}  {f.code:<28}  {f.title}"
                )
            for rank, f in enumerate(shown, 1):
                lines += ["", f"[{rank}] {f.code}: {f.title}"]
                evidence = ", ".join(f"{k}={v}" for k, v in f.evidence.items())
                lines.append(f"    evidence: {evidence}")
                lines.append("    fix:")
                lines += [f"        {line}" for line in f.fix.splitlines()]
        for note in self.notes:
            lines.append(f"note: {note}")
        return "\n".join(lines)

    def __repr__(self):
        return f"<DiagnosisReport healthy={self.healthy} codes={self.codes}>"

    def to_markdown(self):
        """The report as markdown: verdict, ranked table, then evidence and fixes."""
        lines = ["# keras_seqfix diagnosis", "", f"**{self._verdict()}**", ""]
        if self.findings:
            lines += [
                "| # | severity | score | code | finding |",
                "|---|---|---|---|---|",
            ]
            for rank, f in enumerate(self.findings, 1):
                title = f.title.replace("|", "\\|")
                lines.append(
                    f"| {rank} | {f.severity} | {f.score:.2f} | `{f.code}` | {title} |"
                )
            for rank, f in enumerate(self.findings, 1):
                lines += ["", f"## {rank}. `{f.code}` ({f.severity})", "", f.title, ""]
                lines += [f"- {k}: `{v}`" for k, v in f.evidence.items()]
                lines += ["", "```python", f.fix, "```"]
        if self.notes:
            lines += ["", "Notes:", ""] + [f"- {note}" for note in self.notes]
        return "\n".join(lines) + "\n"

    def to_dict(self):
        """The report as a JSON-serialisable dict."""
        data = {
            "healthy": self.healthy,
            "verdict": self._verdict(),
            "codes": self.codes,
            "findings": [f.to_dict() for f in self.findings],
            "measurements": _jsonable(self.measurements),
            "gradient_norms": _jsonable(self.gradient_norms),
            "history": _jsonable(self.history),
            "notes": list(self.notes),
        }
        if self.lr_result is not None:
            data["lr_test"] = {
                "lrs": _jsonable(list(self.lr_result.lrs)),
                "losses": _jsonable(list(self.lr_result.losses)),
                "suggestion": _jsonable(self.lr_result.suggestion),
            }
        json.dumps(data)  # fail here, not in the caller, if something slipped through
        return data

    def plot(self, path=None):
        """Plot the training curves, the LR range test and the gradient norms.

        Args:
            path: if given, the figure is saved there (any format matplotlib
                writes, e.g. `"diagnosis.png"`). Defaults to `None`.

        Returns:
            The matplotlib `Figure`.

        Raises:
            ImportError: if matplotlib is not installed.
        """
        from keras_seqfix.diagnosis._plot import plot_report

        return plot_report(self, path)


def _jsonable(value):
    """Replace NumPy values and non-finite floats by JSON-safe plain values."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if hasattr(value, "tolist"):
        return _jsonable(value.tolist())
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, float) and value in (float("inf"), float("-inf")):
        return str(value)
    if isinstance(value, bool | int | float | str) or value is None:
        return value
    return str(value)


__all__ = ["DiagnosisReport", "SEVERITIES"]
