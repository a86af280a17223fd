"""Locate the data files shipped with the package."""

from importlib import resources


def data_path(filename):
    """Return a path-like handle to `keras_seqfix/datasets/data/<filename>`."""
    return resources.files("keras_seqfix.datasets").joinpath("data", filename)
