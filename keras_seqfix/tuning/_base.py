"""What the keras_seqfix hypermodels share: fixed arguments, batch size, epochs."""

import difflib
import inspect

from keras_seqfix._validation import (
    Integral,
    Interval,
    Options,
    validate_params,
)
from keras_seqfix.tuning._keras_tuner import require_keras_tuner

kt = require_keras_tuner()

_LABELS = ("sparse", "one_hot")
#: Batch sizes searched by `HyperModel.fit` (when the caller gives none).
BATCH_SIZES = (16, 32, 64)
DEFAULT_BATCH_SIZE = 32


class SeqfixHyperModel(kt.HyperModel):
    """A keras-tuner `HyperModel` that builds its models with a keras_seqfix builder.

    Subclasses set `builder` (the function), `searched` (the builder arguments
    that `search_space` may choose) and implement `search_space(hp)`, which
    returns builder keyword arguments. Every builder argument given to the
    constructor is fixed: it is passed as given and not searched.
    """

    builder = None
    searched = ()
    #: Arguments taken by the constructor itself (not builder arguments).
    own = ("num_classes", "labels", "epochs", "name", "tunable")
    #: Arguments the hypermodel derives itself and a caller cannot fix.
    derived = ("compile",)
    min_epochs = 1

    def __init__(self, num_classes, *, labels, epochs, name, tunable, fixed):
        validate_params(
            {
                "num_classes": [Interval(Integral, 2, None, closed="left")],
                "labels": [Options(str, _LABELS)],
                "epochs": [Interval(Integral, self.min_epochs, None, closed="left")],
                "name": [None, str],
                "tunable": [bool],
            },
            {
                "num_classes": num_classes,
                "labels": labels,
                "epochs": epochs,
                "name": name,
                "tunable": tunable,
            },
            examples={"num_classes": 2, "epochs": max(self.min_epochs, 10)},
            hints={
                "num_classes": "The output is a softmax: for a binary task pass "
                "num_classes=2."
            }
            if isinstance(num_classes, Integral) and not isinstance(num_classes, bool)
            else None,
        )
        super().__init__(name=name, tunable=tunable)
        self._check_fixed(fixed)
        self.num_classes = int(num_classes)
        self.labels = labels
        self.epochs = int(epochs)
        self.fixed = dict(fixed)

    def _check_fixed(self, fixed):
        names = [
            p
            for p in inspect.signature(self.builder).parameters
            if p not in ("num_classes", "labels", *self.derived)
        ]
        for key in fixed:
            if key in names:
                continue
            close = difflib.get_close_matches(key, names, n=1, cutoff=0.6)
            hint = f" Did you mean `{close[0]}`?" if close else ""
            raise TypeError(
                f"{type(self).__name__} got an unexpected keyword argument "
                f"`{key}`: fixed arguments are those of "
                f"`{self.builder.__name__}`: {', '.join(names)}.{hint}"
            )

    def config(self):
        """The constructor arguments (to rebuild this hypermodel on other data)."""
        return dict(
            num_classes=self.num_classes,
            labels=self.labels,
            epochs=self.epochs,
            name=self.name,
            tunable=self.tunable,
            **self.fixed,
        )

    def for_data(self, x, y):
        """This hypermodel for training inputs `x` (and labels `y`).

        Builders that fit statistics at build time (`adapt_data`) get the
        training fold's data, so a cross-validation fold never sees its
        validation samples. The others are returned unchanged.
        """
        return self

    def is_searched(self, name):
        return name not in self.fixed

    def search_space(self, hp):
        raise NotImplementedError

    def build(self, hp):
        """Build a compiled model for the hyper-parameters in `hp`.

        Args:
            hp: a `keras_tuner.HyperParameters`; the searched values are
                declared on it (their defaults are the builder's defaults).

        Returns:
            The builder's compiled `keras.Model`, whose loss matches `labels`.
        """
        kwargs = {
            key: value
            for key, value in self.search_space(hp).items()
            if key not in self.fixed
        }
        kwargs.update(self.fixed)
        return self.builder(
            self.num_classes, labels=self.labels, compile=True, **kwargs
        )

    def fit(self, hp, model, *args, **kwargs):
        """Train `model` with the caller's `fit` arguments.

        `batch_size` is searched over `(16, 32, 64)` (default 32) unless the
        caller gives one or trains on a dataset (which is batched already);
        `epochs` defaults to the hypermodel's `epochs`. Everything else
        (`validation_data`, `callbacks`, `class_weight`, ...) goes to
        `model.fit` as given.

        Returns:
            The `History` of `model.fit`.
        """
        x = args[0] if args else kwargs.get("x")
        if "batch_size" not in kwargs and _is_array_like(x):
            kwargs["batch_size"] = hp.Choice(
                "batch_size", list(BATCH_SIZES), default=DEFAULT_BATCH_SIZE
            )
        kwargs.setdefault("epochs", self.epochs)
        return model.fit(*args, **kwargs)


def _is_array_like(x):
    if isinstance(x, list | tuple | dict):
        return True
    return hasattr(x, "shape") and hasattr(x, "__len__")


def learning_rate(hp):
    """Adam's learning rate on a log scale from 1e-4 to 1e-2 (default 1e-3)."""
    return hp.Float("learning_rate", 1e-4, 1e-2, sampling="log", default=1e-3)


def regularisation(hp):
    """L2 on the kernels: none or 1e-5 .. 1e-3 (default none)."""
    return hp.Choice("l2", [0.0, 1e-5, 1e-4, 1e-3], default=0.0)


def recurrent_space(hp, model, *, bidirectional_default, pooling_default):
    """The recurrent stack's search space, shared by the two recurrent builders."""
    space = {}
    if model.is_searched("units"):
        units = hp.Choice("units", [32, 64, 128, 256], default=128)
        depth = hp.Int("depth", 1, 2, default=1)
        space["units"] = units if depth == 1 else [units, max(units // 2, 8)]
    if model.is_searched("cell"):
        space["cell"] = hp.Choice("cell", ["lstm", "gru"], default="lstm")
    if model.is_searched("bidirectional"):
        space["bidirectional"] = hp.Boolean(
            "bidirectional", default=bidirectional_default
        )
    if model.is_searched("pooling"):
        space["pooling"] = hp.Choice(
            "pooling", ["last", "attention"], default=pooling_default
        )
    if model.is_searched("dropout"):
        space["dropout"] = hp.Float("dropout", 0.0, 0.5, step=0.1, default=0.3)
    if model.is_searched("l2"):
        space["l2"] = regularisation(hp)
    if model.is_searched("learning_rate"):
        space["learning_rate"] = learning_rate(hp)
    return space
