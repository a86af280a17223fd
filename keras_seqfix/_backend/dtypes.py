"""Dtypes of data-augmentation layers under any dtype policy.

Keras layers cast their float inputs to the compute dtype of the policy, so under
`mixed_float16` an augmentation layer would hand float16 frames to a pipeline that
fed it float32 (and do its warps in half precision). Augmentation is data
preparation, not a part of the network: `keras_seqfix` augmentation layers keep
the dtype they are given (float16, bfloat16 or float32; integer token ids pass
through untouched) and do their arithmetic in at least float32. Other inputs
(float64, integer pixels) get the layer's compute dtype, as before.
"""

import keras

KEPT_FLOAT_DTYPES = ("float16", "bfloat16", "float32")


def augmentation_dtypes(inputs, compute_dtype):
    """`(work_dtype, output_dtype)` for one call of an augmentation layer.

    Args:
        inputs: the tensor (or array) the layer is called on.
        compute_dtype: the layer's `compute_dtype`.

    Returns:
        The dtype to compute in (float32 for half-precision inputs) and the dtype
        to return (the input's own float dtype, else `compute_dtype`).

    Examples:
        >>> import numpy as np
        >>> augmentation_dtypes(np.zeros(2, "float16"), "float16")
        ('float32', 'float16')
        >>> augmentation_dtypes(np.zeros(2, "float32"), "float16")
        ('float32', 'float32')
        >>> augmentation_dtypes(np.zeros(2, "uint8"), "float32")
        ('float32', 'float32')
    """
    dtype = keras.backend.standardize_dtype(inputs.dtype)
    output = dtype if dtype in KEPT_FLOAT_DTYPES else compute_dtype
    work = "float32" if output in ("float16", "bfloat16") else output
    return work, output
