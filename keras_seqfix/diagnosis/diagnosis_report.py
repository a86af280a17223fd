"""`DiagnosisReport`: the ranked findings of `diagnose`, for terminal, markdown, JSON."""

import json

from keras_seqfix.diagnosis.finding import SEVERITIES

HEALTHY_VERDICT = (
    "Healthy: no likely cause of a high loss found (nothing above 'low' severity)."
)
INCONCLUSIVE_VERDICT = (
    "Inconclusive: no likely cause found in what could be measured, but some "
    "evidence is missing (see 'missing' below); this is not a clean bill of health."
)


class DiagnosisReport:
    """The findings of `diagnose`, most likely cause first, and what was measured.

    Args:
        findings (list of Finding): the `Finding`s; they are sorted by score (most
            likely first).
        measurements (dict): the numbers the checks measured, by name.
        lr_result (LRFinderResult or None): the `LRFinderResult` of the learning-rate
            range test, if run.
        gradient_norms (dict or None): per-layer gradient norms at initialisation, if
            measured.
        history (dict or None): the training curves: the user's `history` if given, else
            the probe's (a dict of lists).
        notes (list of str): what was skipped and why.
        missing (list of str): the evidence that could not be measured (a probe that
            failed, a loss that could not be computed), one sentence each.
        reference (dict or None): what the data supports: the fast reference model's
            figures (a dict: `name`, `accuracy`, `balanced_accuracy`, `split`,
            `seconds`, and your model's `model_accuracy` beside it when it is trained),
            or `None` when it was not run.
        per_class (dict or None): your trained model's per-class view (a dict: `on`,
            `recall` by class, `most_confused` as `(true, predicted, count)`,
            `top_losses` as dicts of `index`, `loss`, `label`, `predicted`), or
            `None` (an untrained model, or no reference).

    Attributes:
        findings (list of Finding): list of `Finding`, most likely cause first.
        healthy (bool): `True` when no finding is above `"low"` severity and no evidence
            is missing.
        inconclusive (bool): `True` when some evidence is missing (`missing` is not
            empty); an inconclusive report is never healthy.
        codes (list of str): the cause codes in rank order.

    Examples:
        >>> from keras_seqfix.diagnosis import DiagnosisReport, Finding
        >>> report = DiagnosisReport([Finding("class_imbalance", "medium",
        ...     "Classes are imbalanced 12:1", {"ratio": 12.0},
        ...     "ksf.class_weights(y)", 0.5)])
        >>> report.codes, report.healthy
        (['class_imbalance'], False)
        >>> DiagnosisReport([]).healthy
        True
        >>> report = DiagnosisReport([], missing=["probe 'overfit' failed"])
        >>> report.healthy, report.inconclusive
        (False, True)
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
        missing=None,
        reference=None,
        per_class=None,
    ):
        self.findings = sorted(_as_findings(findings), key=lambda f: -f.score)
        self.measurements = dict(measurements or {})
        self.lr_result = lr_result
        self.gradient_norms = dict(gradient_norms or {})
        self.history = dict(history or {})
        self.notes = [str(note) for note in (notes or [])]
        self.missing = [str(item) for item in (missing or [])]
        self.reference = dict(reference) if reference else None
        self.per_class = dict(per_class) if per_class else None

    @property
    def healthy(self):
        return not self.inconclusive and not self.problems

    @property
    def inconclusive(self):
        return bool(self.missing)

    @property
    def codes(self):
        return [f.code for f in self.findings]

    @property
    def problems(self):
        """The findings above `"low"` severity."""
        return [f for f in self.findings if f.severity in ("high", "medium")]

    def _verdict(self):
        if not self.problems:
            return INCONCLUSIVE_VERDICT if self.inconclusive else HEALTHY_VERDICT
        top = self.problems[0]
        verdict = f"Most likely cause: {top.code} ({top.severity}). {top.title}."
        if self.inconclusive:
            verdict += f" ({len(self.missing)} measurement(s) missing, see below.)"
        return verdict

    def _reference_line(self):
        """One sentence: what the reference reached and what the model reached."""
        ref = self.reference
        if not ref:
            return None
        if ref.get("accuracy") is None:
            return f"Reference: not measured ({ref.get('reason', 'unknown reason')})."
        line = (
            f"Reference ({ref['name']}, {ref['seconds']:.1f} s): "
            f"{ref['accuracy']:.2f} accuracy, {ref['balanced_accuracy']:.2f} "
            f"balanced, held out ({ref['split']})"
        )
        if ref.get("model_accuracy") is not None:
            line += (
                f"; your model {ref['model_accuracy']:.2f} accuracy, "
                f"{ref['model_balanced_accuracy']:.2f} balanced, on "
                f"{ref['model_scored_on']}"
            )
        return line + "."

    def _per_class_lines(self):
        view = self.per_class
        if not view:
            return []
        recall = ", ".join(f"{c}: {r:.2f}" for c, r in view["recall"].items())
        lines = [f"Per class (your model on {view['on']}): recall {recall}"]
        if view["most_confused"]:
            pairs = ", ".join(
                f"{t} as {p} ({n})" for t, p, n in view["most_confused"][:5]
            )
            lines.append(f"  most confused (true as predicted): {pairs}")
        worst = ", ".join(
            f"#{row['index']} (label {row['label']}, predicted {row['predicted']}, "
            f"loss {row['loss']:.2f})"
            for row in view["top_losses"][:5]
        )
        lines.append(f"  top losses: {worst}")
        return lines

    def __str__(self):
        lines = ["keras_seqfix diagnosis", "=" * 22, self._verdict()]
        reference = self._reference_line()
        lines += [reference, ""] if reference else [""]
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
        per_class = self._per_class_lines()
        if per_class:
            lines += [""] + per_class
        for item in self.missing:
            lines.append(f"missing: {item}")
        for note in self.notes:
            lines.append(f"note: {note}")
        return "\n".join(lines)

    def __repr__(self):
        return (
            f"<DiagnosisReport healthy={self.healthy} "
            f"inconclusive={self.inconclusive} codes={self.codes}>"
        )

    def to_markdown(self):
        """The report as markdown: verdict, ranked table, then evidence and fixes."""
        lines = ["# keras_seqfix diagnosis", "", f"**{self._verdict()}**", ""]
        reference = self._reference_line()
        if reference:
            lines += [reference, ""]
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
        if self.per_class:
            view = self.per_class
            lines += ["", f"## Per class (your model on {view['on']})", ""]
            lines += ["| class | recall |", "|---|---|"]
            lines += [f"| {c} | {r:.2f} |" for c, r in view["recall"].items()]
            if view["most_confused"]:
                lines += ["", "| true | predicted | count |", "|---|---|---|"]
                lines += [f"| {t} | {p} | {n} |" for t, p, n in view["most_confused"]]
            lines += ["", "| index | loss | label | predicted |", "|---|---|---|---|"]
            lines += [
                f"| {r['index']} | {r['loss']:.3f} | {r['label']} | {r['predicted']} |"
                for r in view["top_losses"]
            ]
        if self.missing:
            lines += ["", "Missing evidence:", ""] + [f"- {m}" for m in self.missing]
        if self.notes:
            lines += ["", "Notes:", ""] + [f"- {note}" for note in self.notes]
        return "\n".join(lines) + "\n"

    def to_dict(self):
        """The report as a JSON-serialisable dict."""
        data = {
            "healthy": self.healthy,
            "inconclusive": self.inconclusive,
            "verdict": self._verdict(),
            "reference": _jsonable(self.reference),
            "per_class": _jsonable(self.per_class),
            "missing": list(self.missing),
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
            path (str or os.PathLike or None): if given, the figure is saved there (any
                format matplotlib writes, e.g. `"diagnosis.png"`). Defaults to `None`.

        Returns:
            (matplotlib.figure.Figure): The matplotlib `Figure`.

        Raises:
            ImportError: if matplotlib is not installed.
        """
        from keras_seqfix.diagnosis._plot import plot_report

        return plot_report(self, path)


def _as_findings(findings):
    """`Finding`s as given, or rebuilt from the dicts of `Finding.to_dict()`."""
    from keras_seqfix.diagnosis.finding import Finding

    if isinstance(findings, str | bytes | dict) or not hasattr(findings, "__iter__"):
        raise TypeError(
            "`findings` should be a list of `Finding` (or of the dicts that "
            f"`Finding.to_dict()` returns). Received: {type(findings).__name__}"
        )
    out = []
    for item in findings:
        if isinstance(item, Finding):
            out.append(item)
        elif isinstance(item, dict):
            try:
                out.append(Finding(**item))
            except TypeError as exc:
                raise TypeError(
                    "`findings` holds a dict that is not a `Finding.to_dict()`: it "
                    "should have the keys code, severity, title, evidence, fix and "
                    f"score. Received keys: {sorted(item)}"
                ) from exc
        else:
            raise TypeError(
                "`findings` should be a list of `Finding`. Received: an item of type "
                f"{type(item).__name__} ({item!r:.60})"
            )
    return out


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
