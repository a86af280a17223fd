"""The guides stay complete: every cause code has a symptom entry, every example a page."""

import pathlib

import pytest

from keras_seqfix.diagnosis import CAUSE_CODES

ROOT = pathlib.Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"


@pytest.mark.parametrize("code", CAUSE_CODES)
def test_every_cause_code_is_in_the_symptom_guide(code):
    assert f"`{code}`" in (DOCS / "loss_high.md").read_text()


@pytest.mark.parametrize(
    "script", sorted(p.name for p in (ROOT / "examples").glob("*.py"))
)
def test_every_example_is_rendered_in_the_docs(script):
    include = f'--8<-- "examples/{script}"'
    pages = [p for p in DOCS.rglob("*.md") if include in p.read_text()]
    assert pages, f"examples/{script} is not included in any docs page"


@pytest.mark.parametrize(
    "script", sorted(p.name for p in (ROOT / "examples").glob("*.py"))
)
def test_every_example_has_a_quick_mode(script):
    assert "KERAS_SEQFIX_QUICK" in (ROOT / "examples" / script).read_text()
