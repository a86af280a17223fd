"""Run the popular Keras 2 recipes on the installed Keras 3 and print what happens.

Every claim of docs/migration.md comes from this script's output: for each idiom it
prints the result, the exception (type and message) or the warnings it raised, and
then runs the keras_seqfix replacement.

Run: python scripts/keras2_idioms.py
The `weights="imagenet"` case tries the network (as Keras does); its cache goes to a
temporary KERAS_HOME so that a machine with network access stays unchanged.
"""

import os
import tempfile
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ["KERAS_HOME"] = tempfile.mkdtemp(prefix="keras_home_")

import keras  # noqa: E402
import numpy as np  # noqa: E402

import keras_seqfix as ksf  # noqa: E402

Y = np.array([0] * 90 + [1] * 10)
X3 = np.random.default_rng(0).random((100, 20, 3))


def attempt(title, fn):
    """Print what `fn()` returns, raises and warns."""
    print(f"\n## {title}")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            print("result:", fn())
        except Exception as exc:  # report every failure, whatever its type
            print(f"raises {type(exc).__name__}: {str(exc)[:400]}")
    for w in caught:
        if w.category is not DeprecationWarning:
            print(f"warns {w.category.__name__}: {str(w.message)[:300]}")


def embedding_input_length():
    model = keras.Sequential(
        [
            keras.layers.Embedding(1000, 64, input_length=100),
            keras.layers.LSTM(8),
            keras.layers.Dense(2, activation="softmax"),
        ]
    )
    return f"model.built={model.built}; count_params() -> {model.count_params()}"


def image_data_generator_public():
    return keras.preprocessing.image.ImageDataGenerator


def image_data_generator_next():
    import tensorflow as tf

    generator = tf.keras.preprocessing.image.ImageDataGenerator(rotation_range=10)
    return generator.flow(np.zeros((4, 8, 8, 1)), batch_size=4).next()


def compute_class_weight_positional():
    from sklearn.utils.class_weight import compute_class_weight

    return compute_class_weight("balanced", np.unique(Y), Y)


def fit_with_array_weights():
    from sklearn.utils.class_weight import compute_class_weight

    weights = compute_class_weight("balanced", classes=np.unique(Y), y=Y)
    model = _tiny_model()
    model.fit(np.zeros((100, 3)), Y, class_weight=weights, epochs=1, verbose=0)
    return "trained"


def compile_class_weight():
    model = _tiny_model()
    model.compile("adam", "sparse_categorical_crossentropy", class_weight={0: 1, 1: 9})
    return "compiled"


def _tiny_model():
    model = keras.Sequential(
        [keras.Input((3,)), keras.layers.Dense(2, activation="softmax")]
    )
    model.compile("adam", "sparse_categorical_crossentropy")
    return model


def sampler_3d(name):
    def run():
        from imblearn import over_sampling

        sampler = getattr(over_sampling, name)(random_state=0)
        return sampler.fit_resample(X3, Y)[0].shape

    return run


def efficientnet_imagenet():
    return keras.applications.EfficientNetB0(include_top=False, weights="imagenet").name


def _clips():
    """8 clips of 6 identical, asymmetric 4x4 frames."""
    frame = np.arange(16, dtype="float32").reshape(1, 1, 4, 4, 1)
    return np.tile(frame, (8, 6, 1, 1, 1))


def _count_mixed(out):
    return sum(
        not all(np.array_equal(clip[0], frame) for frame in clip[1:]) for clip in out
    )


def time_distributed_flip():
    keras.utils.set_random_seed(0)
    layer = keras.layers.TimeDistributed(keras.layers.RandomFlip("horizontal"))
    out = np.asarray(layer(_clips(), training=True))
    return f"{_count_mixed(out)} of 8 clips have frames flipped differently"


def sequence_augmentation_flip():
    clips = _clips()
    out = np.asarray(
        ksf.SequenceAugmentation(flip="horizontal", seed=0)(clips, training=True)
    )
    flipped = sum(
        not np.array_equal(o[0], c[0]) for o, c in zip(out, clips, strict=True)
    )
    return (
        f"{_count_mixed(out)} of 8 clips have frames flipped differently; "
        f"{flipped} of 8 clips flipped as a whole"
    )


def replacements():
    model = ksf.build_lstm_classifier(2, vocab_size=1000, embedding_dim=16, units=8)
    resampled = ksf.SequenceResampler().fit_resample(X3, Y)[0].shape
    return (
        f"build_lstm_classifier(vocab_size=...) built={model.built}; "
        f"class_weights(Y)={ksf.class_weights(Y)}; SequenceResampler -> {resampled}"
    )


def main():
    print("keras", keras.__version__)
    attempt("Embedding(input_length=100) in a Sequential", embedding_input_length)
    attempt("keras.preprocessing.image.ImageDataGenerator", image_data_generator_public)
    attempt(
        "tf.keras ImageDataGenerator(...).flow(...).next()", image_data_generator_next
    )
    attempt(
        "compute_class_weight('balanced', classes, y)", compute_class_weight_positional
    )
    attempt("fit(class_weight=<compute_class_weight array>)", fit_with_array_weights)
    attempt("model.compile(..., class_weight=...)", compile_class_weight)
    attempt(
        "RandomOverSampler().fit_resample(<3-D x>, y)", sampler_3d("RandomOverSampler")
    )
    attempt("SMOTE().fit_resample(<3-D x>, y)", sampler_3d("SMOTE"))
    attempt("EfficientNetB0(weights='imagenet') with no network", efficientnet_imagenet)
    attempt("TimeDistributed(RandomFlip('horizontal'))", time_distributed_flip)
    attempt("ksf.SequenceAugmentation(flip='horizontal')", sequence_augmentation_flip)
    attempt("keras_seqfix replacements", replacements)


if __name__ == "__main__":
    main()
