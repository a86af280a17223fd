"""`Finding`: one possible cause of a high loss, with its evidence and its fix."""

import dataclasses

#: Severities from most to least serious. `DiagnosisReport.healthy` is `True` when
#: no finding is above `"low"`.
SEVERITIES = ("high", "medium", "low", "info")

# A finding's severity follows from its score, so that ranking and severity agree.
_SEVERITY_FLOORS = (("high", 0.7), ("medium", 0.4), ("low", 0.15), ("info", 0.0))


def severity_of(score):
    """The severity that a likelihood `score` in `[0, 1]` maps to."""
    for name, floor in _SEVERITY_FLOORS:
        if score >= floor:
            return name
    return "info"


@dataclasses.dataclass
class Finding:
    """One possible cause of a high loss, as `diagnose` measured it.

    Args:
        code: the cause code, one of `keras_seqfix.diagnosis.CAUSE_CODES`.
        severity: `"high"`, `"medium"`, `"low"` or `"info"`.
        title: one line that says what was found, with the key number.
        evidence: the measured numbers behind the finding, by name (floats, ints
            and strings only, so that the report serialises to JSON).
        fix: concrete code that removes the cause, using `keras_seqfix` where it
            helps.
        score: how likely this is the cause of the high loss, in `[0, 1]`;
            `DiagnosisReport.findings` is sorted by it.

    Examples:
        >>> from keras_seqfix.diagnosis import Finding
        >>> f = Finding("class_imbalance", "medium", "Classes are imbalanced 12:1",
        ...             {"imbalance_ratio": 12.0}, "ksf.class_weights(y)", 0.5)
        >>> f.code, f.severity
        ('class_imbalance', 'medium')
    """

    code: str
    severity: str
    title: str
    evidence: dict
    fix: str
    score: float

    def __post_init__(self):
        from keras_seqfix.diagnosis._codes import CAUSE_CODES

        if self.code not in CAUSE_CODES:
            raise ValueError(
                f"`code` should be one of {list(CAUSE_CODES)}. Received: code={self.code!r}"
            )
        if self.severity not in SEVERITIES:
            raise ValueError(
                f"`severity` should be one of {list(SEVERITIES)}. "
                f"Received: severity={self.severity!r}"
            )
        if not 0.0 <= float(self.score) <= 1.0:
            raise ValueError(
                f"`score` should be in [0, 1]. Received: score={self.score!r}"
            )
        self.score = float(self.score)
        self.evidence = {k: _plain(v) for k, v in dict(self.evidence).items()}

    def to_dict(self):
        """The finding as a JSON-serialisable dict."""
        return dataclasses.asdict(self)

    def __getitem__(self, key):
        """Deprecated: `finding["code"]`, the dict access of the monitors' alerts.

        `TrainingMonitor.alerts` and `GradientNormMonitor.problems` held dicts
        before they held `Finding`s: a field by name (`"message"` is `title`),
        else an `evidence` entry (`"condition"`, `"epoch"`, `"kind"`).
        """
        from keras_seqfix._deprecation import deprecated

        deprecated(f"`finding[{key!r}]`", "the attribute, e.g. `finding.code`")
        name = {"message": "title"}.get(key, key)
        if name in {f.name for f in dataclasses.fields(self)}:
            return getattr(self, name)
        return self.evidence[key]


def _plain(value):
    """NumPy scalars and other numbers as plain Python values (JSON-serialisable)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float | str) or value is None:
        return value
    if hasattr(value, "item"):
        return value.item()
    return str(value)


def make_finding(code, score, title, evidence, fix):
    """A `Finding` whose severity is derived from `score` (used by the checks)."""
    score = float(min(max(score, 0.0), 1.0))
    return Finding(code, severity_of(score), title, evidence, fix, round(score, 3))
