"""The package: imports, version, public names, and the files an install carries."""

import fnmatch
import importlib
import importlib.metadata
from importlib import resources
from pathlib import Path

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


# Packaging: the version, and the data files the loaders read.

ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = ROOT / "keras_seqfix" / "datasets" / "data"


def _files_the_loaders_read():
    return sorted(
        [f"ucr_{name}.npz" for name in ksf.UCR_DATASETS] + ["sms_spam.tsv.gz"]
    )


def test_version_is_the_installed_distributions_version():
    try:
        installed = importlib.metadata.version("keras-seqfix")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("keras-seqfix is not installed (`pip install -e .` installs it)")
    # An editable install reads the version once: reinstall after changing it.
    assert ksf.__version__ == installed


def test_version_is_a_normalised_pep_440_version():
    version = pytest.importorskip("packaging.version")
    # A normalised version is what the sdist's and the wheel's file names carry.
    assert str(version.Version(ksf.__version__)) == ksf.__version__


def test_every_file_the_loaders_read_is_in_the_package():
    data = resources.files("keras_seqfix.datasets").joinpath("data")
    shipped = sorted(p.name for p in data.iterdir() if p.is_file())
    assert shipped == _files_the_loaders_read()
    for name in shipped:
        assert data.joinpath(name).read_bytes()[:2] in (b"PK", b"\x1f\x8b"), name


@pytest.mark.skipif(
    not (ROOT / "pyproject.toml").is_file() or not DATA_DIR.is_dir(),
    reason="needs the source tree (pyproject.toml and the data folder)",
)
def test_package_data_config_ships_every_data_file():
    tomllib = pytest.importorskip("tomllib", reason="tomllib is Python 3.11+")
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert any(
        fnmatch.fnmatchcase("keras_seqfix.datasets", pattern)
        for pattern in config["packages"]["find"]["include"]
    )
    assert "keras_seqfix.datasets" not in config.get("exclude-package-data", {})
    patterns = config["package-data"]["keras_seqfix.datasets"]
    # setuptools matches package-data globs against paths relative to the package.
    on_disk = sorted(f"data/{p.name}" for p in DATA_DIR.iterdir() if p.is_file())
    unshipped = [f for f in on_disk if not any(fnmatch.fnmatch(f, p) for p in patterns)]
    assert not unshipped, f"add a pattern to package-data for {unshipped}"
    unused = [p for p in patterns if not any(fnmatch.fnmatch(f, p) for f in on_disk)]
    assert not unused, f"package-data patterns that match no file: {unused}"
    # The sdist keeps them too (MANIFEST.in), so a wheel built from it has them.
    manifest = (ROOT / "MANIFEST.in").read_text().splitlines()
    assert "graft keras_seqfix/datasets/data" in manifest
