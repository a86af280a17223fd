"""A functional model that checks its labels against its loss before training.

The builders return a `CheckedModel`: a functional `keras.Model` (same layers,
same `summary`, same `.keras` file plus this registered class name) whose
`fit`, `evaluate`, `train_on_batch` and `test_on_batch` first check that the labels
match the compiled loss, so that one-hot labels given to a sparse loss (or the
reverse), string labels, float or non-finite ids, ids out of range or one-hot rows
that are not probabilities raise an error naming the right `labels=` instead of a
shape error deep inside the loss (or silent training).

A model whose input feeds an `Embedding` (the token route) also checks its token
ids in `fit`, `evaluate`, `predict` and `*_on_batch`: fractional floats (which
Keras would truncate to another token) and ids outside `[0, vocab_size)` (which
fail deep inside the Embedding lookup, `indices[0,0] = 122 is not in [0, 50)`)
raise an error naming `x` and the fix. Only in-memory arrays are checked.

What is checked, cheaply:
- in-memory labels (`y`, `validation_data=(x, y)`): shape, dtype and values.
- a `tf.data.Dataset` (as `x` or `validation_data`): only the label part of its
  `element_spec` (rank, last dimension, dtype); it is never iterated, so values
  (ids out of range, float ids) are left to Keras.
- a `keras.utils.PyDataset`: the labels of its first batch, `x[0]`.
- Python generators are passed through unchecked.

Why a subclass, not a plain `keras.Model` (issue #18): the labels reach the model
only in `fit`, `evaluate` and `*_on_batch`. The builder never has them, a callback
is not given them, and a check inside the loss runs on symbolic tensors in the
compiled step, where ids out of range, fractional ids and rows that are not
probabilities (which a plain model trains on silently) cannot be read without a
backend-specific assertion per step. Overriding the methods that receive the data
is the one place the checks see the arrays, once per call. The price: a saved
model records this class (`keras_seqfix>CheckedModel`), so loading it needs
`import keras_seqfix` (docs/models.md, "What the builders return";
tests/models/test_checked_model.py). Everything else (layers, config, training
step) is Keras's: keep it that way, and override no other method.
"""

import keras
import numpy as np

from keras_seqfix._labels import (
    check_label_spec,
    check_labels,
    label_format,
    spec_shape,
)
from keras_seqfix._validation import check_token_ids


@keras.saving.register_keras_serializable(package="keras_seqfix")
class CheckedModel(keras.Model):
    """Functional model whose `fit`, `evaluate` and `*_on_batch` check labels."""

    def _vocab_size(self):
        """`input_dim` of the Embedding fed by the model's only input, or None."""
        if len(self.inputs) != 1:
            return None
        for layer in self.layers:
            if isinstance(layer, keras.layers.Embedding):
                try:
                    fed = layer.input is self.inputs[0]
                except (AttributeError, ValueError):
                    fed = False
                return int(layer.input_dim) if fed else None
        return None

    def _check_tokens(self, x, argument="x"):
        vocab_size = self._vocab_size()
        if vocab_size is None or not isinstance(x, np.ndarray | list):
            return
        check_token_ids(argument, x, vocab_size=vocab_size)

    def _check(self, y, x=None, validation_data=None):
        self._check_tokens(x)
        if isinstance(validation_data, tuple | list) and validation_data:
            self._check_tokens(validation_data[0], "validation_data")
        labels = label_format(getattr(self, "loss", None))
        if labels is None:
            return
        kwargs = dict(num_classes=int(self.outputs[0].shape[-1]), labels=labels)
        if y is not None:
            check_labels(y, **kwargs)
        elif x is not None:
            self._check_data(x, "x", **kwargs)
        if isinstance(validation_data, tuple | list):
            if len(validation_data) >= 2:
                check_labels(validation_data[1], argument="validation_data", **kwargs)
        elif validation_data is not None:
            self._check_data(validation_data, "validation_data", **kwargs)

    def _check_data(self, data, argument, **kwargs):
        """Check a PyDataset's first batch or a tf.data.Dataset's element_spec."""
        if isinstance(data, keras.utils.PyDataset):
            try:
                batch = data[0]
            except Exception:  # empty or not indexable yet: Keras reports it
                return
            if isinstance(batch, tuple | list) and len(batch) in (2, 3):
                check_labels(batch[1], argument=argument, source="PyDataset", **kwargs)
            return
        spec = getattr(data, "element_spec", None)
        if not isinstance(spec, tuple) or len(spec) not in (2, 3):
            return  # generators, (x,)-only or dict datasets: unchecked
        x_shape = spec_shape(spec[0])
        if (
            x_shape is not None
            and len(self.inputs) == 1
            and len(x_shape) == len(self.inputs[0].shape) - 1
        ):
            return  # unbatched: Keras names the input shape itself
        check_label_spec(spec[1], argument=argument, **kwargs)

    def predict(self, x, *args, **kwargs):
        self._check_tokens(x)
        return super().predict(x, *args, **kwargs)

    def fit(self, x=None, y=None, *args, **kwargs):
        self._check(y, x, kwargs.get("validation_data"))
        return super().fit(x, y, *args, **kwargs)

    def evaluate(self, x=None, y=None, *args, **kwargs):
        # `fit` validates through `evaluate(..., _use_cached_eval_dataset=True)`
        # every epoch; it checked `validation_data` already, once.
        if not kwargs.get("_use_cached_eval_dataset"):
            self._check(y, x)
        return super().evaluate(x, y, *args, **kwargs)

    def train_on_batch(self, x, y=None, *args, **kwargs):
        self._check(y, x)  # called per batch: O(batch) NumPy work, no dataset peeking
        return super().train_on_batch(x, y, *args, **kwargs)

    def test_on_batch(self, x, y=None, *args, **kwargs):
        self._check(y, x)
        return super().test_on_batch(x, y, *args, **kwargs)
