"""The `keras-seqfix` command: `keras-seqfix demo` and `keras-seqfix diagnose`."""

import argparse
import os
import sys


def _quiet_tensorflow():
    # The command owns its process, so it may silence TensorFlow's C++ start-up log;
    # the library itself never touches the environment.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _demo(args):
    from keras_seqfix.demo import run_demo

    return run_demo(quick=args.quick, output_dir=args.output_dir, seed=args.seed)


def build_parser():
    parser = argparse.ArgumentParser(
        prog="keras-seqfix",
        description="Find out why a Keras sequence classifier's loss stays high, and fix it.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser(
        "demo", help="train the plain recipe and the keras_seqfix recipe on real data"
    )
    demo.add_argument(
        "--quick", action="store_true", help="a short run (CI, smoke test)"
    )
    demo.add_argument(
        "--output-dir",
        default="keras_seqfix_demo",
        help="where plots and the report go",
    )
    demo.add_argument("--seed", type=int, default=0, help="random seed")
    demo.set_defaults(func=_demo)
    return parser


def main(argv=None):
    """Entry point of the `keras-seqfix` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    _quiet_tensorflow()
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
