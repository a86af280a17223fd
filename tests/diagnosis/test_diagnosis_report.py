"""`Finding` and `DiagnosisReport`: ranking, verdict, text, markdown, JSON, plot."""

import json

import pytest

from keras_seqfix.diagnosis import CAUSE_CODES, DiagnosisReport, Finding
from keras_seqfix.diagnosis._codes import CATALOGUE, ROLE, catalogue_markdown


def _finding(code="class_imbalance", severity="medium", score=0.5):
    return Finding(
        code, severity, f"{code} found", {"ratio": 12.5, "n": 3}, "fix()", score
    )


def test_cause_codes_are_the_spec_vocabulary():
    assert len(CAUSE_CODES) == 21 and set(CATALOGUE) == set(CAUSE_CODES)
    assert set(ROLE) == set(CAUSE_CODES)
    assert set(ROLE.values()) == {"root", "symptom", "own"}
    assert catalogue_markdown().count("\n") == 22


def test_finding_validates_code_severity_and_score():
    with pytest.raises(ValueError, match="`code` should be one of"):
        _finding(code="bad_code")
    with pytest.raises(ValueError, match="`severity`"):
        _finding(severity="urgent")
    with pytest.raises(ValueError, match="`score`"):
        _finding(score=1.5)


def test_findings_sorted_by_score_and_healthy_verdict():
    report = DiagnosisReport(
        [_finding("overfitting", "low", 0.2), _finding("lr_too_high", "high", 0.9)]
    )
    assert report.codes == ["lr_too_high", "overfitting"]
    assert not report.healthy
    assert "Most likely cause: lr_too_high" in str(report)
    healthy = DiagnosisReport([_finding("overfitting", "low", 0.2)])
    assert healthy.healthy and "Healthy" in str(healthy)
    assert "Healthy" in DiagnosisReport([]).to_markdown()


def test_text_and_markdown_show_evidence_and_fix():
    report = DiagnosisReport([_finding()], notes=["probe skipped"])
    text, markdown = str(report), report.to_markdown()
    for out in (text, markdown):
        assert "class_imbalance" in out and "fix()" in out and "12.5" in out
        assert "probe skipped" in out
    assert "| 1 | medium | 0.50 | `class_imbalance` |" in markdown


def test_to_dict_is_json_serialisable_with_numpy_and_nan():
    import numpy as np

    report = DiagnosisReport(
        [_finding()],
        measurements={"a": np.float32(1.5), "b": float("nan"), "c": np.arange(3)},
        gradient_norms={"dense": np.float64(0.3)},
        history={"loss": [1.0, 0.5]},
    )
    data = json.loads(json.dumps(report.to_dict()))
    assert data["codes"] == ["class_imbalance"]
    assert data["measurements"] == {"a": 1.5, "b": None, "c": [0, 1, 2]}
    assert data["findings"][0]["evidence"] == {"ratio": 12.5, "n": 3}


def test_plot_writes_a_figure(tmp_path):
    pytest.importorskip("matplotlib")
    report = DiagnosisReport(
        [_finding()],
        gradient_norms={"gru": 0.2, "dense": 0.4},
        history={"loss": [1, 0.5]},
    )
    path = tmp_path / "diagnosis.png"
    fig = report.plot(path)
    assert path.stat().st_size > 1000
    assert len(fig.axes) == 4


def test_docs_table_lists_every_code():
    from pathlib import Path

    page = Path(__file__).parents[2] / "docs" / "diagnosis.md"
    assert catalogue_markdown() in page.read_text()
