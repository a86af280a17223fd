"""Code blocks the docs say run on their own do run on their own.

A block introduced by "This block runs on its own:" is executed in a fresh namespace
(on a subset of the data, so the test stays fast); nothing from the page's other
blocks or from the collapsed full script is defined for it.
"""

import pathlib

import numpy as np
import pytest

import keras_seqfix as ksf

ROOT = pathlib.Path(__file__).resolve().parents[2]
MARKER = "This block runs on its own:"


def standalone_blocks(page):
    """The Python code blocks that follow the marker on `page`."""
    parts = (ROOT / "docs" / page).read_text().split(MARKER)[1:]
    return [part.split("```python\n", 1)[1].split("\n```", 1)[0] for part in parts]


def test_the_video_tutorial_has_a_standalone_block():
    assert len(standalone_blocks("tutorials/video.md")) == 1


@pytest.mark.slow  # a pretraining fit and a CNN-LSTM: 10 to 20 s on 2 cores
def test_the_video_tutorial_model_block_runs_alone(monkeypatch):
    full = ksf.load_moving_digits

    def subset(**kwargs):  # 60 training clips: seconds, not minutes
        (x_train, y_train), test = full(**kwargs)
        return (x_train[:60], y_train[:60]), test

    monkeypatch.setattr(ksf, "load_moving_digits", subset)
    (block,) = standalone_blocks("tutorials/video.md")
    scope = {"__name__": "video_tutorial"}
    exec(compile(block, "docs/tutorials/video.md", "exec"), scope)

    model, encoder, x_test = scope["model"], scope["encoder"], scope["x_test"]
    assert model.predict(x_test[:4], verbose=0).shape == (4, 20)
    # The pretrained encoder's weights are in the model, frozen.
    frozen = [w.numpy() for w in model.non_trainable_weights]
    for weight in encoder.weights:
        assert any(
            f.shape == weight.shape and np.array_equal(f, weight.numpy())
            for f in frozen
        ), weight.path
    assert isinstance(scope["augment"], ksf.SequenceAugmentation)


def test_the_home_page_has_a_standalone_block():
    (block,) = standalone_blocks("index.md")
    for step in ("ksf.diagnose(", "ksf.build_lstm_classifier(", "ksf.fit_recipe("):
        assert step in block
    assert len(block.splitlines()) <= 14  # the fix "in ten lines" (plus imports)
    assert max(map(len, block.splitlines())) <= 88  # no sideways scroll


@pytest.mark.slow  # the plain fit, diagnose's probes and a short recipe: ~1 min
def test_the_home_page_block_runs_alone(monkeypatch, capsys):
    recipe = ksf.fit_recipe

    def short(*args, **kwargs):  # the smallest budget, not 2,500 updates
        return recipe(*args, updates=100, **kwargs)

    monkeypatch.setattr(ksf, "fit_recipe", short)
    (block,) = standalone_blocks("index.md")
    scope = {"__name__": "home_page"}
    exec(compile(block, "docs/index.md", "exec"), scope)

    printed = capsys.readouterr().out
    assert any(code in printed for code in ksf.diagnosis.CAUSE_CODES), printed
    assert "accuracy" in printed
    assert scope["model"].predict(scope["x_test"][:2], verbose=0).shape == (2, 3)


def test_the_readme_quickstart_is_the_home_page_block():
    readme = (ROOT / "README.md").read_text().split("## Quickstart\n", 1)[1]
    quickstart = readme.split("```python\n", 1)[1].split("\n```", 1)[0]
    assert quickstart == standalone_blocks("index.md")[0]
