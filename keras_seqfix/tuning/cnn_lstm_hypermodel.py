"""`CNNLSTMHyperModel`: the search space of `build_cnn_lstm`."""

from keras_seqfix._validation import checked_signature
from keras_seqfix.models.cnn_lstm import build_cnn_lstm
from keras_seqfix.tuning._base import SeqfixHyperModel, recurrent_space


class CNNLSTMHyperModel(SeqfixHyperModel):
    """A keras-tuner `HyperModel` for `build_cnn_lstm` (image sequences).

    Each trial calls `build_cnn_lstm` with the sampled values, so the loss
    always matches `labels`. The backbone, its weights and the augmentation
    are yours and stay fixed; the recurrent part and the optimiser are
    searched:

    | name | values | default |
    |---|---|---|
    | `learning_rate` | 1e-4 .. 1e-2, log scale | 1e-3 |
    | `units` | 32, 64, 128, 256 | 128 |
    | `depth` | 1 or 2 recurrent layers (the second has half the units) | 1 |
    | `dropout` | 0.0 .. 0.5, step 0.1 | 0.3 |
    | `cell` | `"lstm"`, `"gru"` | `"lstm"` |
    | `bidirectional` | `True`, `False` | `True` |
    | `pooling` | `"last"`, `"attention"` | `"last"` |
    | `l2` | 0, 1e-5, 1e-4, 1e-3 | 0 |
    | `batch_size` (in `fit`) | 16, 32, 64 | 32 |

    Args:
        num_classes (int): number of classes (>= 2).
        labels ('"sparse" | "one_hot"'): `"sparse"` or `"one_hot"`; passed to the
            builder, which compiles the matching loss. Defaults to `"sparse"`.
        epochs (int): epochs of a trial when the `fit` arguments give none.
            Defaults to `30`.
        name (str or None): optional name of the hypermodel.
        tunable (bool): whether its hyper-parameters join the search space.
            Defaults to `True`.
        **fixed (Any): `build_cnn_lstm` arguments held fixed: `input_shape`
            (needed), `backbone`, `backbone_weights`, `augmentation`, ... and
            any searched name to leave it out of the search.

    Raises:
        ValueError: if `input_shape` is missing or `labels` is not
            `"sparse"`/`"one_hot"`.
        TypeError: for an argument that `build_cnn_lstm` does not take.

    Examples:
        >>> import keras_tuner
        >>> import keras_seqfix as ksf
        >>> hypermodel = ksf.tuning.CNNLSTMHyperModel(
        ...     2, input_shape=(None, 16, 16, 1), labels="one_hot")
        >>> model = hypermodel.build(keras_tuner.HyperParameters())
        >>> model.loss.name
        'categorical_crossentropy'
    """

    builder = staticmethod(build_cnn_lstm)

    @checked_signature
    def __init__(
        self,
        num_classes,
        *,
        labels="sparse",
        epochs=30,
        name=None,
        tunable=True,
        **fixed,
    ):
        super().__init__(
            num_classes,
            labels=labels,
            epochs=epochs,
            name=name,
            tunable=tunable,
            fixed=fixed,
        )
        if fixed.get("input_shape") is None:
            raise ValueError(
                "CNNLSTMHyperModel needs `input_shape=(frames, height, width, "
                "channels)`; frames may be None. Received: input_shape=None"
            )

    def search_space(self, hp):
        return recurrent_space(
            hp, self, bidirectional_default=True, pooling_default="last"
        )
