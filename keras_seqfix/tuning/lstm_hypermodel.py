"""`LSTMHyperModel`: the search space of `build_lstm_classifier`, both routes."""

import numpy as np

from keras_seqfix._validation import checked_signature
from keras_seqfix.models.lstm_classifier import build_lstm_classifier
from keras_seqfix.tuning._base import SeqfixHyperModel, recurrent_space


class LSTMHyperModel(SeqfixHyperModel):
    """A keras-tuner `HyperModel` for `build_lstm_classifier`.

    Each trial calls `build_lstm_classifier` with the sampled values, so the
    loss always matches `labels`. Give `vocab_size` for token ids (the token
    route) or `input_shape=(timesteps, features)` for numeric series (the
    numeric route, LSTM-FCN by default). Any other builder argument you pass
    is fixed and not searched (`cell="gru"` leaves `cell` out of the space).

    The search space, in the order worth tuning (the defaults are the
    builder's, so the default trial is the model you would get without
    tuning):

    | name | values | default |
    |---|---|---|
    | `learning_rate` | 1e-4 .. 1e-2, log scale | 1e-3 |
    | `units` | 32, 64, 128, 256 | 128 |
    | `depth` | 1 or 2 recurrent layers (the second has half the units) | 1 |
    | `dropout` | 0.0 .. 0.5, step 0.1 | 0.3 |
    | `cell` | `"lstm"`, `"gru"` | `"lstm"` |
    | `bidirectional` | `True`, `False` | token route `True`, numeric `False` |
    | `pooling` | `"last"`, `"attention"` | token route `"attention"`, numeric `"last"` |
    | `l2` | 0, 1e-5, 1e-4, 1e-3 | 0 |
    | `embedding_dim` (token route) | 32, 64, 128 | 128 |
    | `conv_branch` (numeric route) | `True`, `False` | `True` |
    | `batch_size` (in `fit`) | 16, 32, 64 | 32 |

    Args:
        num_classes (int): number of classes (>= 2).
        labels ('"sparse" | "one_hot"'): `"sparse"` (integer ids) or `"one_hot"`; passed
            to the builder, which compiles the matching loss. Defaults to `"sparse"`.
        epochs (int): epochs of a trial when the `fit` arguments give none.
            Defaults to `50`.
        name (str or None): optional name of the hypermodel.
        tunable (bool): whether its hyper-parameters join the search space
            (keras-tuner's meaning). Defaults to `True`.
        **fixed (Any): `build_lstm_classifier` arguments held fixed: `vocab_size` or
            `input_shape` (one is needed), `embedding_matrix`, `adapt_data`,
            and any searched name to leave it out of the search.

    Raises:
        ValueError: if neither or both of `vocab_size` and `input_shape` are
            given, or `labels` is not `"sparse"`/`"one_hot"`.
        TypeError: for an argument that `build_lstm_classifier` does not take.

    Examples:
        >>> import keras_tuner
        >>> import keras_seqfix as ksf
        >>> hypermodel = ksf.tuning.LSTMHyperModel(3, vocab_size=100)
        >>> hp = keras_tuner.HyperParameters()
        >>> model = hypermodel.build(hp)
        >>> model.loss.name
        'sparse_categorical_crossentropy'
        >>> hp.values["units"], hp.values["bidirectional"], hp.values["pooling"]
        (128, True, 'attention')
    """

    builder = staticmethod(build_lstm_classifier)

    @checked_signature
    def __init__(
        self,
        num_classes,
        *,
        labels="sparse",
        epochs=50,
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
        if (fixed.get("vocab_size") is None) == (fixed.get("input_shape") is None):
            raise ValueError(
                "LSTMHyperModel needs exactly one of `vocab_size` (token ids) and "
                "`input_shape` (numeric series, `(timesteps, features)`). "
                f"Received: vocab_size={fixed.get('vocab_size')!r}, "
                f"input_shape={fixed.get('input_shape')!r}"
            )
        self.token_route = fixed.get("vocab_size") is not None

    def for_data(self, x, y):
        if self.fixed.get("adapt_data") is None:
            return self
        config = self.config()
        config["adapt_data"] = np.asarray(x)
        return type(self)(**config)

    def search_space(self, hp):
        space = recurrent_space(
            hp,
            self,
            bidirectional_default=self.token_route,
            pooling_default="attention" if self.token_route else "last",
        )
        if self.token_route:
            if (
                self.is_searched("embedding_dim")
                and "embedding_matrix" not in self.fixed
            ):
                space["embedding_dim"] = hp.Choice(
                    "embedding_dim", [32, 64, 128], default=128
                )
        elif self.is_searched("conv_branch"):
            space["conv_branch"] = hp.Boolean("conv_branch", default=True)
        return space
