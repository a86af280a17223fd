"""The guides stay complete and true: every cause code has a symptom entry, every example
a page, and the fit recipe the docs spell out is the one `fit_recipe` returns."""

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


def _recipe_block():
    """The code block of docs/models.md that spells out `fit_recipe`'s body."""
    text = (DOCS / "models.md").read_text()
    after = text.split("training samples `n`, it holds:", 1)[1]
    return after.split("```python\n", 1)[1].split("```", 1)[0]


_SETTINGS = {
    "ReduceLROnPlateau": ("monitor", "factor", "patience", "min_lr"),
    "EarlyStopping": ("monitor", "min_delta", "patience", "restore_best_weights"),
}


def _described(recipe):
    """What a reader can see of a recipe: its numbers and each callback's settings."""
    return {
        **{k: v for k, v in recipe.items() if k != "callbacks"},
        "callbacks": [
            (type(c).__name__, {s: getattr(c, s) for s in _SETTINGS[type(c).__name__]})
            for c in recipe["callbacks"]
        ],
    }


@pytest.mark.parametrize("n", [1, 36, 50, 270, 999, 1000, 3400])
def test_fit_recipe_code_in_the_docs_matches_fit_recipe(n):
    # docs/models.md shows the recipe as code so readers see every number; this
    # keeps that copy in step with keras_seqfix.models.fit_recipe.
    import numpy as np

    import keras_seqfix as ksf

    scope = {"x_train": np.zeros((n, 2, 1))}
    exec(compile(_recipe_block(), "docs/models.md", "exec"), scope)
    assert _described(scope["recipe"]) == _described(ksf.fit_recipe(n))


def test_loss_high_sends_the_rate_and_capacity_causes_to_the_tuning_guide():
    text = (DOCS / "loss_high.md").read_text()
    for heading in (
        "## The loss sits at log K from the first epoch",  # lr_too_low
        "## The loss jumps up and down",  # lr_too_high
        "## The training loss stops at a floor well above zero",  # underfitting
    ):
        section = text.split(heading, 1)[1].split("\n## ", 1)[0]
        assert "(tuning.md)" in section, heading
