"""SequenceAugmentation: speed vs the per-frame alternatives, and the harm they do.

Run:
    python benchmarks/augmentation.py speed [--repeats 15]
    python benchmarks/augmentation.py harm [--epochs 12] [--seeds 0 1 2]
    python benchmarks/augmentation.py layout [--repeats 15]
    (each with [--output FILE] [--note TEXT])

`speed` times, alternately in one run, on batches of 16 clips of 16 frames of
112x112x3 (values in [0, 255]), flip + rotation + zoom + translation + contrast:

- `SequenceAugmentation` (one composed warp per sequence, contrast elementwise);
- the same stock Keras layers applied in turn to the frames flattened into the batch
  (per-frame draws: the wrong semantics, but the speed of Keras's kernels);
- the per-frame `ImageDataGenerator` loop of the widely copied recipe, made to run on
  Keras 3 (`.flow(frame).next()` -> `.flow(frame)[0]`), with `brightness_range`
  standing in for contrast (it has no contrast option);
- one elementwise pass over the batch (`x * a + b`), the memory-bound floor.

Graph-capable methods run inside `tf.function` (as in `fit` or a `tf.data` map) on the
TensorFlow backend. It prints medians and the ratios.

`layout` times one warp of the same batch with the frames folded into the batch
axis (what `SequenceAugmentation` does: a free reshape, the matrix repeated per frame)
vs stacked along the channel axis (one matrix per clip, but two transposes).

`harm` trains the same small CNN-LSTM on `ksf.load_moving_digits` (label = digit and
direction of motion) with label-preserving augmentation (small rotation, zoom and
translation; no flip, which would swap left and right) drawn per sequence
(`SequenceAugmentation`) and per frame (`TimeDistributed` of the same Keras layers),
and without augmentation, and prints test loss and accuracy side by side (mean over
seeds).

`speed` and `harm` write their figures, with the run's provenance, under the part's
name in `--output` (default `benchmarks/results/augmentation.json`, rendered on
docs/benchmarks.md); the other part already in the file is kept.
"""

import argparse
import os
import pathlib
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from _provenance import run_record, save_entry  # noqa: E402  (beside this script)

import keras_seqfix as ksf  # noqa: E402

SHAPE = (16, 16, 112, 112, 3)
OUTPUT = pathlib.Path(__file__).parent / "results" / "augmentation.json"


def _image_data_generator():
    """Keras 3 keeps `ImageDataGenerator` but no longer exports it publicly."""
    image = keras.preprocessing.image
    if hasattr(image, "ImageDataGenerator"):
        return image.ImageDataGenerator, "keras.preprocessing.image.ImageDataGenerator"
    from keras.src.legacy.preprocessing.image import ImageDataGenerator

    return ImageDataGenerator, (
        "keras.src.legacy.preprocessing.image.ImageDataGenerator "
        "(keras.preprocessing.image.ImageDataGenerator is absent in Keras "
        f"{keras.__version__})"
    )


def _stock_layers():
    return [
        keras.layers.RandomFlip("horizontal"),
        keras.layers.RandomRotation(0.1),
        keras.layers.RandomZoom(0.2),
        keras.layers.RandomTranslation(0.1, 0.1),
        keras.layers.RandomContrast(0.3),
    ]


def speed(repeats):
    import tensorflow as tf

    x = np.random.default_rng(0).uniform(0, 255, SHAPE).astype("float32")
    xt = tf.constant(x)
    seq = ksf.layers.SequenceAugmentation(_stock_layers(), seed=0)
    stock = _stock_layers()
    frames_shape = (-1, *SHAPE[2:])

    @tf.function
    def run_seq(v):
        return seq(v, training=True)

    @tf.function
    def run_stock(v):
        flat = tf.reshape(v, frames_shape)
        for layer in stock:
            flat = layer(flat, training=True)
        return tf.reshape(flat, SHAPE)

    @tf.function
    def run_elementwise(v):
        return v * 1.01 + 0.5

    idg_cls, idg_name = _image_data_generator()
    gen = idg_cls(
        horizontal_flip=True,
        rotation_range=36,  # RandomRotation(0.1) is +-0.1 turn = +-36 degrees
        zoom_range=0.2,
        width_shift_range=0.1,
        height_shift_range=0.1,
        brightness_range=(0.7, 1.3),
    )

    def run_loop(v):
        clips = []
        for clip in v:
            frames = [
                gen.flow(frame[None], batch_size=1, shuffle=False)[0][0]
                for frame in clip
            ]
            clips.append(np.stack(frames))
        return np.stack(clips)

    methods = {
        "SequenceAugmentation": lambda: run_seq(xt).numpy(),
        "stock Keras layers on flattened frames": lambda: run_stock(xt).numpy(),
        "one elementwise pass": lambda: run_elementwise(xt).numpy(),
        "per-frame ImageDataGenerator loop": lambda: run_loop(x),
    }
    for fn in methods.values():  # trace and warm up
        fn()
    times = {name: [] for name in methods}
    loop_every = 3  # the loop is slow: time it on every third round only
    for i in range(repeats):
        for name, fn in methods.items():
            if "loop" in name and i % loop_every:
                continue
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    med = {name: statistics.median(t) for name, t in times.items()}
    print(f"backend {keras.backend.backend()}, keras {keras.__version__}")
    print(f"batch {SHAPE} float32, flip+rotation+zoom+translation+contrast")
    print(f"loop uses {idg_name}")
    for name, t in med.items():
        print(f"  {name:42s} median {1000 * t:8.1f} ms over {len(times[name])} runs")
    ours = med["SequenceAugmentation"]
    print(
        f"SequenceAugmentation / stock layers:   {ours / med['stock Keras layers on flattened frames']:.2f}x (target <= 0.6x)"
    )
    print(
        f"per-frame loop / SequenceAugmentation: {med['per-frame ImageDataGenerator loop'] / ours:.1f}x faster (target >= 2x)"
    )
    print(
        f"SequenceAugmentation / elementwise:    {ours / med['one elementwise pass']:.1f}x the memory floor"
    )
    return {
        "shape": list(SHAPE),
        "keras": keras.__version__,
        "loop": idg_name,
        "repeats": repeats,
        "seconds": times,
    }


def layout(repeats):
    import tensorflow as tf

    x = tf.constant(np.random.default_rng(0).random(SHAPE).astype("float32"))
    batch, frames, height, width, channels = SHAPE
    matrix = np.array([[1.0, 0.1, 2.0, -0.1, 1.0, 3.0, 0.0, 0.0]], "float32")
    matrix = tf.constant(np.repeat(matrix, batch, axis=0))

    @tf.function
    def folded(v):
        per_frame = tf.reshape(
            tf.broadcast_to(matrix[:, None], (batch, frames, 8)), (-1, 8)
        )
        flat = tf.reshape(v, (-1, height, width, channels))
        return tf.reshape(keras.ops.image.affine_transform(flat, per_frame), SHAPE)

    @tf.function
    def stacked(v):
        stack = tf.transpose(v, (0, 2, 3, 1, 4))
        stack = tf.reshape(stack, (batch, height, width, frames * channels))
        out = keras.ops.image.affine_transform(stack, matrix)
        out = tf.reshape(out, (batch, height, width, frames, channels))
        return tf.transpose(out, (0, 3, 1, 2, 4))

    diff = float(tf.reduce_max(tf.abs(folded(x) - stacked(x))))
    times = {"folded into batch": [], "stacked along channels": []}
    for _ in range(repeats):
        for name, fn in (
            ("folded into batch", folded),
            ("stacked along channels", stacked),
        ):
            start = time.perf_counter()
            fn(x).numpy()
            times[name].append(time.perf_counter() - start)
    print(f"one warp of {SHAPE}, outputs equal (max diff {diff:.1e})")
    for name, t in times.items():
        print(f"  {name:24s} median {1000 * statistics.median(t):7.1f} ms")
    ratio = statistics.median(times["stacked along channels"]) / statistics.median(
        times["folded into batch"]
    )
    print(f"stacked / folded: {ratio:.2f}x")


def _model(num_classes, input_shape, augmentation):
    inputs = keras.Input(input_shape)
    x = augmentation(inputs) if augmentation is not None else inputs
    cnn = keras.Sequential(
        [
            keras.layers.Conv2D(16, 3, padding="same", activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Conv2D(32, 3, padding="same", activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Flatten(),
        ]
    )
    x = keras.layers.TimeDistributed(cnn)(x)
    x = keras.layers.LSTM(64)(x)
    outputs = keras.layers.Dense(num_classes, activation="softmax")(x)
    model = keras.Model(inputs, outputs)
    model.compile(
        optimizer=keras.optimizers.Adam(2e-3),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def _harm_layers():
    # Label-preserving: no flip (it swaps left and right motion).
    geo = {"fill_mode": "constant"}
    return [
        keras.layers.RandomRotation(0.04, **geo),
        keras.layers.RandomZoom(0.1, **geo),
        keras.layers.RandomTranslation(0.1, 0.1, **geo),
    ]


def harm(epochs, seeds):
    (x_train, y_train), (x_test, y_test) = ksf.load_moving_digits()
    num_classes = int(y_train.max()) + 1
    print(
        f"moving digits: train {x_train.shape}, test {x_test.shape}, {num_classes} classes"
    )
    print(f"CNN-LSTM, Adam 2e-3, batch 32, {epochs} epochs, seeds {seeds}")
    variants = {
        "none": lambda s: None,
        "SequenceAugmentation (per sequence)": lambda s: (
            ksf.layers.SequenceAugmentation(_harm_layers(), seed=s)
        ),
        "TimeDistributed (per frame)": lambda s: keras.layers.TimeDistributed(
            keras.Sequential(_harm_layers())
        ),
    }
    results = {name: [] for name in variants}
    for seed in seeds:
        for name, make in variants.items():
            keras.utils.set_random_seed(seed)
            model = _model(num_classes, x_train.shape[1:], make(seed))
            start = time.perf_counter()
            model.fit(x_train, y_train, batch_size=32, epochs=epochs, verbose=0)
            loss, acc = model.evaluate(x_test, y_test, verbose=0)
            results[name].append((loss, acc))
            print(
                f"  seed {seed} {name:38s} test loss {loss:.3f} acc {acc:.3f} ({time.perf_counter() - start:.0f} s)",
                flush=True,
            )
    print(
        "augmentation                            test loss   test accuracy (mean over seeds)"
    )
    for name, rows in results.items():
        loss, acc = np.mean(rows, axis=0)
        print(f"  {name:38s} {loss:9.3f}   {acc:9.3f}")
    return {
        "epochs": epochs,
        "seeds": list(seeds),
        "batch_size": 32,
        "results": {
            name: [{"loss": loss, "accuracy": acc} for loss, acc in rows]
            for name, rows in results.items()
        },
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("part", choices=["speed", "harm", "layout"])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--output", default=str(OUTPUT), help="results JSON file")
    parser.add_argument("--note", default="", help="how the machine was loaded")
    args = parser.parse_args(argv)
    run = run_record(args.note)
    if args.part == "speed":
        save_entry(args.output, "speed", {**run, **speed(args.repeats)})
    elif args.part == "layout":
        layout(args.repeats)
    else:
        save_entry(args.output, "harm", {**run, **harm(args.epochs, args.seeds)})


if __name__ == "__main__":
    sys.exit(main())
