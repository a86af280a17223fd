"""The string-inputs check of the augmentation layers, run before Keras converts."""

import numpy as np

from keras_seqfix._array_checks import check_numeric_inputs


class NumericInputsMixin:
    """Refuse string `inputs` in `__call__`, before `Layer.__call__` sees them.

    On JAX and PyTorch, Keras's `Layer.__call__` converts the inputs to tensors
    before `call` runs, so a check in `call` comes too late: NumPy's opaque
    `ValueError` ("could not convert string to float") is raised first. This
    mixin checks the raw inputs, then defers to `Layer.__call__` unchanged:
    symbolic `KerasTensor`s pass (a numeric dtype), nothing is converted or
    copied, and the layer's config and serialization are untouched. Put it
    before `keras.layers.Layer` in the bases.
    """

    def __call__(self, *args, **kwargs):
        inputs = args[0] if args else kwargs.get("inputs")
        if isinstance(inputs, list | tuple):  # nested Python data: look, don't keep
            try:
                inputs = np.asarray(inputs)
            except Exception:  # ragged, mixed or symbolic: left to Keras's own error
                inputs = None
        if inputs is not None:
            check_numeric_inputs(type(self).__name__, inputs)
        return super().__call__(*args, **kwargs)
