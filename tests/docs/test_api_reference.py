"""The API reference lists every public name, and every public name has an example.

Functions and classes have their `Examples:` run by `pytest --doctest-modules`; module
constants keep their docstring in the source right after the assignment (where
mkdocstrings reads it and `doctest` does not look), so those are run here.
"""

import ast
import doctest
import importlib
import inspect
import pathlib
import types

import pytest

import keras_seqfix as ksf

ROOT = pathlib.Path(__file__).resolve().parents[2]
SUBPACKAGES = [
    "models",
    "layers",
    "imbalance",
    "callbacks",
    "diagnosis",
    "datasets",
    "tuning",
]
PUBLIC = [
    (sub, name)
    for sub in SUBPACKAGES
    for name in importlib.import_module(f"keras_seqfix.{sub}").__all__
]


@pytest.mark.parametrize(("sub", "name"), PUBLIC)
def test_public_name_is_on_its_api_page(sub, name):
    page = (ROOT / "docs" / "api" / f"{sub}.md").read_text()
    # A function in a module of its own name (`fit_recipe`, `diagnose`) is named by
    # its module path: mkdocstrings would read the public path as the module.
    assert (
        f"::: keras_seqfix.{sub}.{name}\n" in page
        or f"::: keras_seqfix.{sub}.{name}.{name}\n" in page
    )


def test_every_top_level_name_belongs_to_a_subpackage():
    listed = {name for _, name in PUBLIC} | set(SUBPACKAGES)
    top = {
        name
        for name, value in vars(ksf).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert top <= listed, sorted(top - listed)


def _attribute_docstring(module, name):
    """The string literal that follows `name = ...` at module level."""
    tree = ast.parse(inspect.getsource(module))
    body = tree.body
    for node, following in zip(body, body[1:], strict=False):
        targets = node.targets if isinstance(node, ast.Assign) else []
        assigned = any(isinstance(t, ast.Name) and t.id == name for t in targets)
        if (
            assigned
            and isinstance(following, ast.Expr)
            and isinstance(following.value, ast.Constant)
        ):
            return following.value.value
    return None


@pytest.mark.parametrize(("sub", "name"), PUBLIC)
def test_public_name_has_an_example_that_runs(sub, name):
    value = getattr(importlib.import_module(f"keras_seqfix.{sub}"), name)
    if inspect.isclass(value) or callable(value):
        # Collected and run by --doctest-modules; here only check it exists.
        assert ">>>" in (inspect.getdoc(value) or ""), f"{name} has no example"
        return
    # The module whose source assigns the constant (not one that imports it).
    texts = {
        module: _attribute_docstring(module, name)
        for module in map(importlib.import_module, _defining_modules(sub))
        if getattr(module, name, None) is value
    }
    module, text = next(((m, t) for m, t in texts.items() if t), (None, None))
    assert text and ">>>" in text, f"{name} has no docstring example"
    test = doctest.DocTestParser().get_doctest(
        inspect.cleandoc(text), {}, f"{sub}.{name}", module.__file__, 0
    )
    runner = doctest.DocTestRunner(
        optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS
    )
    runner.run(test)
    assert runner.summarize(verbose=False).failed == 0


def _defining_modules(sub):
    package = importlib.import_module(f"keras_seqfix.{sub}")
    folder = pathlib.Path(package.__file__).parent
    return [
        f"keras_seqfix.{sub}.{p.stem}"
        for p in sorted(folder.glob("*.py"))
        if p.stem != "__init__"
    ]
