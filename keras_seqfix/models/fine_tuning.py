"""`unfreeze_backbone`: the second, fine-tuning phase of a `build_cnn_lstm` model."""

import keras

from keras_seqfix.models import _common
from keras_seqfix.models.backbones import BACKBONE_LAYER_NAME


def unfreeze_backbone(model, *, num_layers=None, learning_rate=1e-5):
    """Unfreeze the top of the frame backbone and recompile with a lower rate.

    The usual transfer-learning schedule: train the new layers on a frozen
    backbone, then unfreeze its top `num_layers` layers and train on with a small
    learning rate. BatchNormalization layers stay frozen, so they keep running in
    inference mode with their pretrained statistics (updating them on small
    batches of a new dataset destroys what the backbone learned). The model is
    recompiled with a fresh Adam optimizer at `learning_rate`, with the same loss
    and metrics.

    Args:
        model: a compiled model from `build_cnn_lstm` (it has a
            `"frame_backbone"` layer).
        num_layers: how many of the backbone's top layers to unfreeze; `None`
            unfreezes all of them. Defaults to `None`.
        learning_rate: the new Adam learning rate, typically 10-100x below the
            first phase. Defaults to `1e-5`.

    Returns:
        The same `model`, recompiled (it is changed in place, as you asked).

    Raises:
        ValueError: if `model` has no `"frame_backbone"` layer or is not
            compiled, or `num_layers` is not a positive integer or `None`.

    Examples:
        >>> import keras_seqfix as ksf
        >>> model = ksf.models.build_cnn_lstm(
        ...     2, input_shape=(4, 16, 16, 1), units=4, freeze_backbone=True)
        >>> _ = ksf.models.unfreeze_backbone(model, num_layers=3)
        >>> float(model.optimizer.learning_rate)
        1e-05
    """
    if not isinstance(model, keras.Model):
        raise TypeError(f"`model` should be a keras.Model. Received: model={model!r}")
    try:
        wrapper = model.get_layer(BACKBONE_LAYER_NAME)
    except ValueError as exc:
        raise ValueError(
            f"`model` should be built by build_cnn_lstm: it has no "
            f"'{BACKBONE_LAYER_NAME}' layer. Received: model named {model.name!r}"
        ) from exc
    if num_layers is not None:
        num_layers = _common.check_int("num_layers", num_layers, minimum=1)
    learning_rate = _common.check_learning_rate(learning_rate)
    config = model.get_compile_config()
    if not config:
        raise ValueError(
            "`model` should be compiled before unfreeze_backbone, which keeps its "
            "loss and metrics. Call model.compile(...) or build with compile=True."
        )
    backbone = wrapper.layer
    backbone.trainable = True
    layers = [layer for layer in backbone.layers if layer.weights]
    top = layers if num_layers is None else layers[-num_layers:]
    top_ids = {id(layer) for layer in top}
    for layer in layers:
        layer.trainable = id(layer) in top_ids and not isinstance(
            layer, keras.layers.BatchNormalization
        )
    # Keep any BatchNormalization nested deeper (inside sub-models) frozen too.
    _freeze_batch_norm(backbone)
    config = keras.saving.deserialize_keras_object(config)
    config["optimizer"] = keras.optimizers.Adam(learning_rate=learning_rate)
    config["loss"] = model.loss  # the same loss object, not a rebuilt wrapper
    model.compile(**config)
    return model


def _freeze_batch_norm(layer):
    for sublayer in getattr(layer, "layers", []):
        if isinstance(sublayer, keras.layers.BatchNormalization):
            sublayer.trainable = False
        _freeze_batch_norm(sublayer)
