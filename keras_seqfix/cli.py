"""The `keras-seqfix` command: `keras-seqfix demo` and `keras-seqfix diagnose`.

Exit codes of `keras-seqfix diagnose`: 0 when the report is healthy, 1 when it found
problems (a finding above "low" severity), 2 for bad input (a missing or unreadable
file, missing arrays, shapes that do not fit, a bad option), with the reason on
stderr, 3 when the report is inconclusive (no problem found, but a probe could not
measure what it needed: the report's `missing` lines say what).
"""

import argparse
import json
import os
import sys
import zipfile
from pathlib import Path

EXIT_HEALTHY, EXIT_PROBLEMS, EXIT_BAD_INPUT, EXIT_INCONCLUSIVE = 0, 1, 2, 3


class _BadInput(Exception):
    """Input the command cannot use; its message goes to stderr with exit code 2."""


def _quiet_tensorflow():
    # The command owns its process, so it may silence TensorFlow's C++ start-up log;
    # the library itself never touches the environment.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _demo(args):
    from keras_seqfix.demo import run_demo

    return run_demo(
        quick=args.quick, full=args.full, output_dir=args.output_dir, seed=args.seed
    )


def _load_arrays(path):
    """`x, y, validation_data` from the `.npz` file at `path`, checked."""
    import numpy as np

    path = Path(path)
    if not path.is_file():
        raise _BadInput(f"DATA file not found: {str(path)!r}")
    if not zipfile.is_zipfile(path):
        raise _BadInput(
            f"{str(path)!r} is not a readable .npz file (save the arrays with "
            "`np.savez(path, x=x, y=y)`)."
        )
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {key: data[key] for key in data.files}
    except ValueError as exc:
        raise _BadInput(
            f"{str(path)!r} holds object arrays (e.g. raw strings); save numeric arrays "
            "(tokenise text into integer ids first). "
            f"numpy said: {exc}"
        ) from exc
    except Exception as exc:
        raise _BadInput(
            f"{str(path)!r} is not a readable .npz file (save it with "
            f"`np.savez(path, x=x, y=y)`). numpy said: {type(exc).__name__}: {exc}"
        ) from exc
    missing = [key for key in ("x", "y") if key not in arrays]
    if missing:
        raise _BadInput(
            f"{str(path)!r} should hold arrays named 'x' and 'y' (optional 'x_val', "
            f"'y_val'). Missing: {missing}; found: {sorted(arrays)}"
        )
    if ("x_val" in arrays) != ("y_val" in arrays):
        raise _BadInput(
            "'x_val' and 'y_val' go together: give both or neither. "
            f"Found: {sorted(arrays)}"
        )
    x, y = arrays["x"], arrays["y"]
    _check_pair(x, y, "x", "y")
    validation_data = None
    if "x_val" in arrays:
        _check_pair(arrays["x_val"], arrays["y_val"], "x_val", "y_val")
        if arrays["x_val"].shape[1:] != x.shape[1:]:
            raise _BadInput(
                "'x_val' should have the shape of one sample of 'x' "
                f"{tuple(x.shape[1:])}. Received: x_val.shape={arrays['x_val'].shape}"
            )
        validation_data = (arrays["x_val"], arrays["y_val"])
    return x, y, validation_data


def _check_pair(x, y, x_name, y_name):
    import numpy as np

    if x.dtype.kind not in "biuf":
        raise _BadInput(
            f"'{x_name}' should be numeric (token ids or float series). "
            f"Received: dtype {x.dtype}"
        )
    if x.ndim < 2:
        raise _BadInput(
            f"'{x_name}' should be (samples, steps, ...): token ids (n, steps), series "
            f"(n, steps, features) or frames (n, frames, h, w, c). "
            f"Received: {x_name}.shape={x.shape}"
        )
    if y.ndim not in (1, 2) or y.dtype.kind not in "biuf":
        raise _BadInput(
            f"'{y_name}' should be class ids (n,) or one-hot rows (n, classes). "
            f"Received: {y_name}.shape={y.shape}, dtype {y.dtype}"
        )
    for name, array in ((x_name, x), (y_name, y)):
        if array.dtype.kind == "f" and not np.isfinite(array).all():
            bad = int((~np.isfinite(array)).sum())
            raise _BadInput(
                f"'{name}' should hold finite numbers. Received: {bad} NaN/inf "
                f"value(s). Fill or drop them (e.g. `np.nan_to_num`) and save again."
            )
    if len(x) != len(y):
        raise _BadInput(
            f"'{x_name}' and '{y_name}' should have the same number of samples. "
            f"Received: {x_name}.shape={x.shape}, {y_name}.shape={y.shape}"
        )
    if len(x) < 2:
        raise _BadInput(
            f"'{x_name}' should hold at least 2 samples. Received: {len(x)}"
        )


def _default_model(x, y, validation_data, seed):
    """The default `build_lstm_classifier` (or `build_cnn_lstm`) for the data."""
    import keras
    import numpy as np

    from keras_seqfix import models

    keras.utils.set_random_seed(seed)
    ys = [y] if validation_data is None else [y, validation_data[1]]
    if y.ndim == 2 and y.shape[1] > 1:
        labels, num_classes = "one_hot", int(y.shape[1])
    else:
        flat = np.concatenate([v.reshape(-1) for v in ys])
        if not (np.isfinite(flat).all() and np.all(flat == np.round(flat))) or (
            flat.min() < 0
        ):
            raise _BadInput(
                "without --model, 'y' should be class ids 0..K-1 or one-hot rows. "
                f"Received values from {flat.min()} to {flat.max()}"
            )
        labels, num_classes = "sparse", max(int(flat.max()) + 1, 2)
    if x.dtype.kind in "biu":
        if x.ndim != 2 or x.min() < 0:
            raise _BadInput(
                "without --model, integer 'x' should be token ids (samples, steps) >= 0, "
                f"0 being padding. Received: x.shape={x.shape}, min {x.min()}"
            )
        xs = [x] if validation_data is None else [x, validation_data[0]]
        vocab_size = int(max(int(v.max()) for v in xs)) + 1
        print(
            f"model: build_lstm_classifier({num_classes}, vocab_size={vocab_size}, "
            f'labels="{labels}") (token ids)'
        )
        return models.build_lstm_classifier(
            num_classes, vocab_size=vocab_size, labels=labels
        )
    if x.ndim == 3:
        shape = tuple(int(d) for d in x.shape[1:])
        print(
            f"model: build_lstm_classifier({num_classes}, input_shape={shape}, "
            f'labels="{labels}") (numeric series)'
        )
        return models.build_lstm_classifier(
            num_classes, input_shape=shape, labels=labels
        )
    if x.ndim == 5:
        shape = tuple(int(d) for d in x.shape[1:])
        print(
            f"model: build_cnn_lstm({num_classes}, input_shape={shape}, "
            f'labels="{labels}") (frame sequences)'
        )
        return models.build_cnn_lstm(num_classes, input_shape=shape, labels=labels)
    raise _BadInput(
        "without --model, 'x' should be integer token ids (n, steps), float series "
        "(n, steps, features) or frames (n, frames, h, w, c). Received: "
        f"x.shape={x.shape}, dtype {x.dtype}; or pass your own model with --model."
    )


def _load_model(path):
    import keras

    import keras_seqfix  # noqa: F401  (registers the package's layers for loading)

    path = Path(path)
    if not path.is_file():
        raise _BadInput(f"MODEL file not found: {str(path)!r}")
    try:
        model = keras.saving.load_model(path)
    except Exception as exc:
        raise _BadInput(
            f"could not load the model {str(path)!r} (save it with "
            f"`model.save('model.keras')`). Keras said: {type(exc).__name__}: {exc}"
        ) from exc
    if not getattr(model, "compiled", False) or model.optimizer is None:
        raise _BadInput(
            f"the model {str(path)!r} is not compiled: `diagnose` reads its loss and "
            "optimizer. Call `model.compile(optimizer, loss)` before `model.save`."
        )
    return model


def _write_outputs(report, args):
    for option, write in (
        ("markdown", lambda p: p.write_text(report.to_markdown(), encoding="utf-8")),
        ("json", lambda p: p.write_text(json.dumps(report.to_dict(), indent=2))),
        ("plot", lambda p: report.plot(p)),
    ):
        target = getattr(args, option)
        if target:
            target = Path(target)
            target.parent.mkdir(parents=True, exist_ok=True)
            write(target)
            print(f"wrote {target}")


def _diagnose(args):
    import numpy as np

    from keras_seqfix.diagnosis import diagnose

    x, y, validation_data = _load_arrays(args.data)
    model = _load_model(args.model) if args.model else None
    wants_3d = model is None or len(model.inputs[0].shape) == 3
    if x.ndim == 2 and x.dtype.kind == "f" and wants_3d:
        print(
            "x is float (samples, steps): read as univariate series (samples, steps, 1)"
        )
        x = x[..., np.newaxis]
        if validation_data is not None:
            validation_data = (validation_data[0][..., np.newaxis], validation_data[1])
    if model is None:
        model = _default_model(x, y, validation_data, args.seed)
    try:
        report = diagnose(
            model,
            x,
            y,
            validation_data=validation_data,
            probe=not args.no_probe,
            batch_size=args.batch_size,
            seed=args.seed,
            verbose=0 if args.quiet else 1,
        )
    except (ValueError, TypeError) as exc:
        raise _BadInput(f"the data does not fit the model: {exc}") from exc
    print(report)
    _write_outputs(report, args)
    if report.problems:
        return EXIT_PROBLEMS
    return EXIT_INCONCLUSIVE if report.inconclusive else EXIT_HEALTHY


def _run_diagnose(args):
    try:
        return _diagnose(args)
    except _BadInput as exc:
        print(f"keras-seqfix diagnose: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT


def _positive_int(text):
    value = _non_negative_int(text)
    if value == 0:
        raise argparse.ArgumentTypeError(f"should be a positive integer, got {text!r}")
    return value


def _non_negative_int(text):
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(
            f"should be a non-negative integer, got {text!r}"
        )
    return value


def build_parser():
    """The argument parser of the `keras-seqfix` command."""
    parser = argparse.ArgumentParser(
        prog="keras-seqfix",
        description="Find out why a Keras sequence classifier's loss stays high, and fix it.",
    )
    from keras_seqfix import __version__

    parser.add_argument(
        "--version",
        action="version",
        version=f"%(prog)s {__version__}",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser(
        "demo",
        help="the plain LSTM recipe on real data, diagnosed and fixed",
        description="Train the widely copied plain LSTM recipe on a shipped real "
        "dataset, diagnose it, apply the fixes with keras_seqfix, and compare.",
    )
    demo.add_argument(
        "--quick", action="store_true", help="a short run (CI, smoke test)"
    )
    demo.add_argument(
        "--full",
        action="store_true",
        help="train the LSTM builder with the whole fit recipe (minutes more)",
    )
    demo.add_argument(
        "--output-dir",
        default="keras_seqfix_demo",
        help="where plots and the report go",
    )
    demo.add_argument("--seed", type=int, default=0, help="random seed")
    demo.set_defaults(func=_demo)

    diag = sub.add_parser(
        "diagnose",
        help="why does the loss stay high? (exit 0 healthy, 1 problems, 2 bad input, "
        "3 inconclusive)",
        description="Diagnose a sequence classifier on the arrays of DATA.npz: 'x', "
        "'y' and optionally 'x_val', 'y_val'. Exit code 0 when healthy, 1 when "
        "problems are found, 2 for bad input, 3 when inconclusive (a probe could "
        "not measure what it needed).",
    )
    diag.add_argument("data", metavar="DATA.npz", help="arrays x, y[, x_val, y_val]")
    diag.add_argument(
        "--model",
        metavar="MODEL.keras",
        help="a compiled model saved with model.save (default: build_lstm_classifier "
        "for the data's shape)",
    )
    diag.add_argument(
        "--markdown", metavar="PATH", help="also write the report as markdown"
    )
    diag.add_argument("--json", metavar="PATH", help="also write the report as JSON")
    diag.add_argument(
        "--plot", metavar="PATH", help="also save the report's plot (PNG)"
    )
    diag.add_argument(
        "--no-probe", action="store_true", help="only the fast data and model checks"
    )
    diag.add_argument(
        "--batch-size", type=_positive_int, default=32, help="probe batch size"
    )
    diag.add_argument("--seed", type=_non_negative_int, default=0, help="random seed")
    diag.add_argument("--quiet", action="store_true", help="no progress lines")
    diag.set_defaults(func=_run_diagnose)
    return parser


def main(argv=None):
    """Entry point of the `keras-seqfix` console script."""
    try:
        args = build_parser().parse_args(argv)
        _quiet_tensorflow()
        return args.func(args)
    finally:
        import gc

        from keras_seqfix import _native_log_filter

        # Finalise tf.data iterators while Python is alive: at interpreter exit
        # their finalizers log "Error occurred when finalizing GeneratorDataset".
        gc.collect()
        _native_log_filter.restore()


if __name__ == "__main__":
    sys.exit(main())
