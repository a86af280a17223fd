"""`build_cnn_lstm`: a per-frame CNN backbone followed by a recurrent stack."""

import keras
import numpy as np

from keras_seqfix._validation import checked_signature
from keras_seqfix.models import _common
from keras_seqfix.models.backbones import BACKBONE_LAYER_NAME, make_backbone


@checked_signature
def build_cnn_lstm(
    num_classes,
    *,
    input_shape,
    backbone="small_cnn",
    backbone_weights=None,
    freeze_backbone=True,
    augmentation=None,
    units=128,
    cell="lstm",
    bidirectional=True,
    pooling="last",
    dropout=0.3,
    recurrent_dropout=0.0,
    l1=0.0,
    l2=0.0,
    labels="sparse",
    learning_rate=1e-3,
    compile=True,
    name="cnn_lstm",
):
    """Build a video / image-sequence classifier: CNN per frame, then LSTM/GRU.

    The backbone runs on every frame inside `TimeDistributed` (layer name
    `"frame_backbone"`) and is pooled to one vector per frame; a (bidirectional)
    recurrent stack reads the frame vectors. A pretrained backbone is frozen by
    default (it then also runs BatchNormalization in inference mode): train the
    new layers first, then call `unfreeze_backbone` for the second phase.

    Args:
        num_classes (int): number of classes (>= 2).
        input_shape (tuple): `(frames, height, width, channels)`; `frames` may be
            `None`.
        backbone (str or keras.Model): `"small_cnn"` (built in, trains from scratch),
            the name of a `keras.applications` model (`"EfficientNetB0"`,
            `"MobileNetV3Small"`, ...; built with `include_top=False, pooling="avg"`) or
            a `keras.Model` mapping one frame to features (a copy is used, your model is
            not changed). Defaults to `"small_cnn"`.
        backbone_weights (str or os.PathLike or None): `None`, `"imagenet"` (taken from
            the Keras cache, `~/.keras/models`; never downloaded) or the path of a
            weights file. Defaults to `None`.
        freeze_backbone (bool): freeze a backbone that has pretrained weights (a
            `keras.Model`, or `backbone_weights` given). A randomly initialised
            backbone is always trained: frozen random filters would only add
            noise. Defaults to `True`.
        augmentation (keras.layers.Layer or None): a layer applied to the whole sequence
            before the backbone, e.g. `keras_seqfix.layers.SequenceAugmentation(...)`.
            Defaults to `None`.
        units (int or list of int): recurrent units, or a list for a stack. Defaults to
            `128`.
        cell ('"lstm" | "gru"'): `"lstm"` or `"gru"`. Defaults to `"lstm"`.
        bidirectional (bool): bidirectional recurrent layers. Defaults to `True`.
        pooling ('"last" | "attention"'): `"last"` or `"attention"` over frames.
            Defaults to `"last"`.
        dropout (float): dropout between recurrent layers and before the output.
            Defaults to `0.3`.
        recurrent_dropout (float): dropout on the recurrent state. Defaults to `0.0`.
        l1 (float): L1 penalty on the recurrent and output kernels. Defaults to `0.0`.
        l2 (float): L2 penalty on the recurrent and output kernels. Defaults to `0.0`.
        labels ('"sparse" | "one_hot"'): `"sparse"` or `"one_hot"`; selects the loss and
            metric. Defaults to `"sparse"`.
        learning_rate (float): Adam learning rate. Defaults to `1e-3`.
        compile (bool): compile the model. Defaults to `True`.
        name (str): model name. Defaults to `"cnn_lstm"`.

    Returns:
        (keras.Model): A functional `keras.Model` with a softmax output, compiled if
            `compile`.

    Raises:
        ValueError: for a bad value, e.g. an `input_shape` that is not
            `(frames, height, width, channels)` of positive sizes, an unknown
            `backbone` name, or
            `backbone_weights="imagenet"` with no cached file (the message says how
            to get the file and pass its path).
        TypeError: for an argument of the wrong type.

    Examples:
        >>> import numpy as np
        >>> import keras_seqfix as ksf
        >>> model = ksf.models.build_cnn_lstm(2, input_shape=(None, 16, 16, 1), units=8)
        >>> model.predict(np.zeros((1, 3, 16, 16, 1)), verbose=0).shape
        (1, 2)
    """
    units = _common.check_common(num_classes, labels, cell, pooling, units)
    _common.check_flags(
        name=name,
        freeze_backbone=freeze_backbone,
        bidirectional=bidirectional,
        compile=compile,
    )
    dropout = _common.check_rate("dropout", dropout)
    recurrent_dropout = _common.check_rate("recurrent_dropout", recurrent_dropout)
    reg = _common.regularizer(l1, l2)
    if isinstance(input_shape, np.ndarray):
        input_shape = tuple(input_shape.tolist())
    if not isinstance(input_shape, tuple | list) or len(input_shape) != 4:
        raise ValueError(
            "`input_shape` should be (frames, height, width, channels); frames may "
            "be None. For numeric series use build_lstm_classifier. "
            f"Received: input_shape={input_shape!r}"
        )
    frames, *frame_shape = _common.check_shape(
        "input_shape", input_shape, ("frames", "height", "width", "channels")
    )
    if augmentation is not None and not isinstance(augmentation, keras.layers.Layer):
        raise TypeError(
            "`augmentation` should be a Keras layer, e.g. "
            "keras_seqfix.layers.SequenceAugmentation(...). "
            f"Received: augmentation={augmentation!r}"
        )
    frame_model, pretrained = make_backbone(backbone, frame_shape, backbone_weights)
    if freeze_backbone and pretrained:
        frame_model.trainable = False

    inputs = keras.Input(shape=(frames, *frame_shape), name="frames")
    x = inputs if augmentation is None else augmentation(inputs)
    x = keras.layers.TimeDistributed(frame_model, name=BACKBONE_LAYER_NAME)(x)
    if len(x.shape) > 3:  # feature maps: pool each frame to a vector
        x = keras.layers.TimeDistributed(
            keras.layers.GlobalAveragePooling2D(), name="frame_pooling"
        )(x)
    x = _common.recurrent_stack(
        x,
        units=units,
        cell=cell,
        bidirectional=bool(bidirectional),
        pooling=pooling,
        dropout=dropout,
        recurrent_dropout=recurrent_dropout,
        kernel_regularizer=reg,
    )
    outputs = _common.classifier_head(
        x, num_classes, dropout=dropout, kernel_regularizer=reg
    )
    return _common.finish(
        inputs,
        outputs,
        name=name,
        labels=labels,
        learning_rate=learning_rate,
        compile=compile,
    )
