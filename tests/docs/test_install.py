"""The install instructions are true: keras-seqfix is on no package index yet.

Every `pip install` in the docs and the README installs from a path (`.`, a clone, a
built wheel) or installs other packages; none asks an index for `keras-seqfix`.
"""

import pathlib
import re
import shlex

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
PAGES = sorted(
    [ROOT / "README.md", *(ROOT / "docs").rglob("*.md")],
    key=lambda p: str(p),
)

# `keras-seqfix`, `keras_seqfix[plot]`, `Keras.SeqFix>=0.1` ...: the project by name.
_BY_NAME = re.compile(r"^keras[-_.]seqfix\s*(\[[^\]]*\])?\s*([<>=!~;@].*)?$", re.I)
_PIP_INSTALL = re.compile(r"pip3?\s+install\s+([^`\n|]*)")


def index_requests(text):
    """The requirements in `text`'s `pip install` commands that name the project."""
    found = []
    for match in _PIP_INSTALL.finditer(text):
        args = match.group(1).split("#", 1)[0]
        args = re.split(r"&&|;|\|\|", args, maxsplit=1)[0]
        try:
            words = shlex.split(args)
        except ValueError:  # an unbalanced quote in prose: fall back to spaces
            words = args.split()
        found += [w for w in words if not w.startswith("-") and _BY_NAME.match(w)]
    return found


@pytest.mark.parametrize(
    "text",
    [
        "pip install keras-seqfix",
        'pip install "keras-seqfix[plot]"',
        "pip install -U keras_seqfix==0.1.0",
        "`pip install keras-seqfix[plot]`",
        "pip install --no-index --find-links wheels keras-seqfix",
        "pip3 install numpy keras-seqfix && keras-seqfix demo",
    ],
)
def test_the_check_catches_an_install_by_name(text):
    assert index_requests(text)


@pytest.mark.parametrize(
    "text",
    [
        'pip install ".[plot]" && keras-seqfix demo',
        'pip install -e ".[dev,docs]"',
        'pip install "$(ls dist/keras_seqfix-*.whl)[plot]"',
        "pip install dist/keras_seqfix-0.1.0.dev0-py3-none-any.whl",
        "pip install torch==2.13.0   # keras-seqfix[torch] installs nothing more",
    ],
)
def test_the_check_lets_path_installs_through(text):
    assert index_requests(text) == []


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_page_installs_keras_seqfix_from_an_index(page):
    requests = index_requests(page.read_text())
    assert requests == [], (
        f"{page.relative_to(ROOT)} tells readers to install {requests} from a "
        "package index, where keras-seqfix is not published: install from a clone "
        '(`pip install ".[plot]"`) or a built wheel instead.'
    )
