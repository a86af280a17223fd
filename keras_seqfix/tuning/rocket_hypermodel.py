"""`RocketHyperModel`: the search space of `build_rocket_classifier`."""

import keras
import numpy as np

from keras_seqfix._validation import checked_signature
from keras_seqfix.models.rocket_classifier import build_rocket_classifier
from keras_seqfix.tuning._base import SeqfixHyperModel, learning_rate


class RocketHyperModel(SeqfixHyperModel):
    """A keras-tuner `HyperModel` for `build_rocket_classifier`.

    MiniRocket has few hyper-parameters worth searching: the number of
    features, and for a gradient-trained head its learning rate and batch
    size. The ridge head's regularisation is already chosen inside the
    builder, by leave-one-out over `alphas`.

    | name | values | default |
    |---|---|---|
    | `num_features` | 2,500, 5,000, 10,000 | 10,000 |
    | `learning_rate` (gradient head) | 1e-4 .. 1e-2, log scale | 1e-3 |
    | `batch_size` (gradient head, in `fit`) | 16, 32, 64 | 32 |

    With `adapt_labels` the head is solved in closed form when the model is
    built, so `fit` trains nothing by default (`epochs=0`): it evaluates the
    model on the `fit` arguments' `validation_data` and reports the metrics
    to the tuner's callbacks as one epoch. Pass `epochs` to continue training
    by gradient as the builder allows.

    Args:
        num_classes (int): number of classes (>= 2).
        labels ('"sparse" | "one_hot"'): `"sparse"` or `"one_hot"`; passed to the
            builder, which compiles the matching loss. Defaults to `"sparse"`.
        epochs (int or None): epochs of a trial when the `fit` arguments give none.
            `None` means `0` with `adapt_labels` (closed-form head) and `50` without.
            Defaults to `None`.
        name (str or None): optional name of the hypermodel.
        tunable (bool): whether its hyper-parameters join the search space.
            Defaults to `True`.
        **fixed (Any): `build_rocket_classifier` arguments held fixed:
            `input_shape` and `adapt_data` (both needed), `adapt_labels`,
            `seed`, ... and `num_features` to leave it out of the search.

    Raises:
        ValueError: if `input_shape` or `adapt_data` is missing, or `labels`
            is not `"sparse"`/`"one_hot"`.
        TypeError: for an argument that `build_rocket_classifier` does not
            take.

    Examples:
        >>> import keras_tuner
        >>> import numpy as np
        >>> import keras_seqfix as ksf
        >>> x = np.random.default_rng(0).normal(size=(20, 30, 1)).astype("float32")
        >>> y = np.arange(20) % 2
        >>> hypermodel = ksf.tuning.RocketHyperModel(
        ...     2, input_shape=(30, 1), adapt_data=x, adapt_labels=y, seed=0)
        >>> hp = keras_tuner.HyperParameters()
        >>> model = hypermodel.build(hp)
        >>> hp.values
        {'num_features': 10000}
        >>> model.loss.name
        'sparse_categorical_crossentropy'
    """

    builder = staticmethod(build_rocket_classifier)
    min_epochs = 0

    @checked_signature
    def __init__(
        self,
        num_classes,
        *,
        labels="sparse",
        epochs=None,
        name=None,
        tunable=True,
        **fixed,
    ):
        for needed in ("input_shape", "adapt_data"):
            if fixed.get(needed) is None:
                raise ValueError(
                    f"RocketHyperModel needs `{needed}`: `input_shape=(timesteps, "
                    "channels)` and `adapt_data`, the training series. "
                    f"Received: {needed}=None"
                )
        self.closed_form = fixed.get("adapt_labels") is not None
        if epochs is None:
            epochs = 0 if self.closed_form else 50
        super().__init__(
            num_classes,
            labels=labels,
            epochs=epochs,
            name=name,
            tunable=tunable,
            fixed=fixed,
        )

    def for_data(self, x, y):
        config = self.config()
        config["adapt_data"] = np.asarray(x)
        if self.closed_form:
            config["adapt_labels"] = np.asarray(y)
        return type(self)(**config)

    def search_space(self, hp):
        space = {}
        if self.is_searched("num_features"):
            space["num_features"] = hp.Choice(
                "num_features", [2_500, 5_000, 10_000], default=10_000
            )
        if not self.closed_form and self.is_searched("learning_rate"):
            space["learning_rate"] = learning_rate(hp)
        return space

    def fit(self, hp, model, *args, **kwargs):
        """Evaluate the closed-form model, or train it like the other hypermodels.

        Returns:
            (keras.callbacks.History): A `History` (one epoch, with the evaluated
                metrics, when nothing is trained).
        """
        epochs = kwargs.get("epochs", self.epochs)
        if not (self.closed_form and epochs == 0):
            if self.closed_form:
                kwargs.setdefault("batch_size", 32)
            return super().fit(hp, model, *args, **kwargs)
        return _evaluate_as_one_epoch(model, *args, **kwargs)


def _evaluate_as_one_epoch(
    model, x=None, y=None, *, validation_data=None, callbacks=None, verbose=0, **_
):
    """Evaluate `model` and hand the metrics to `callbacks` as one epoch's logs.

    Only on `validation_data`: the training loss of a head fitted in closed
    form on the same samples says nothing the tuner can use.
    """
    logs = {}
    if validation_data is not None:
        vx, vy = validation_data[:2]
        logs.update(_eager_metrics(model, vx, vy))
    history = keras.callbacks.History()
    callbacks = [*(callbacks or []), history]
    for callback in callbacks:
        callback.set_model(model)
        callback.set_params({"epochs": 1, "steps": None, "verbose": verbose})
        callback.on_train_begin()
        callback.on_epoch_begin(0)
        callback.on_epoch_end(0, dict(logs))
        callback.on_train_end(dict(logs))
    history.trained_epochs = 0
    return history


def _eager_metrics(model, x, y, batch_size=256):
    """Loss and accuracy by calling the model eagerly.

    `model.evaluate` traces a new function for every trial's new model, which
    costs seconds; a closed-form trial needs only one pass.
    """
    x = np.asarray(x, dtype="float32")
    probabilities = np.concatenate(
        [
            keras.ops.convert_to_numpy(model(x[i : i + batch_size], training=False))
            for i in range(0, len(x), batch_size)
        ]
    )
    y = np.asarray(y)
    loss = float(keras.ops.convert_to_numpy(model.loss(y, probabilities)))
    ids = y.argmax(axis=-1) if y.ndim == 2 and y.shape[1] > 1 else y.reshape(-1)
    accuracy = float(np.mean(probabilities.argmax(axis=-1) == ids))
    return {"val_loss": loss, "val_accuracy": accuracy}
