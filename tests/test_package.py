"""The package imports, has a version, and exports every public name at top level."""

import importlib

import pytest

import keras_seqfix as ksf

SUBPACKAGES = ["models", "layers", "imbalance", "callbacks", "diagnosis", "datasets"]


def test_version_is_a_string():
    assert isinstance(ksf.__version__, str) and ksf.__version__[0].isdigit()


@pytest.mark.parametrize("name", SUBPACKAGES)
def test_every_public_name_is_exported_at_top_level(name):
    module = importlib.import_module(f"keras_seqfix.{name}")
    for public in getattr(module, "__all__", []):
        assert getattr(ksf, public) is getattr(module, public), public


def test_subpackages_are_attributes():
    for name in SUBPACKAGES:
        assert getattr(ksf, name) is importlib.import_module(f"keras_seqfix.{name}")
