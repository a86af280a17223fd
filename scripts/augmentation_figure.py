"""Draw docs/img/augmentation_clips.png: original vs per-sequence vs per-frame clips.

Run: python scripts/augmentation_figure.py [--out docs/img/augmentation_clips.png]

Two moving-digit clips (`ksf.load_moving_digits`, 8 frames of 16x16), each shown as
the original, augmented by `SequenceAugmentation` (one draw per clip) and by
`TimeDistributed` of the same Keras layers (one draw per frame).
"""

import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402

import keras_seqfix as ksf  # noqa: E402


def _layers():
    geo = {"fill_mode": "constant"}
    return [
        keras.layers.RandomRotation(0.06, **geo),
        keras.layers.RandomZoom(0.15, **geo),
        keras.layers.RandomTranslation(0.12, 0.12, **geo),
    ]


def main(argv=None):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="docs/img/augmentation_clips.png")
    args = parser.parse_args(argv)

    keras.utils.set_random_seed(0)
    (x, y), _ = ksf.load_moving_digits()
    names = ["right", "left"]
    clips = x[[0, 3]]
    per_sequence = np.asarray(ksf.layers.SequenceAugmentation(_layers(), seed=1)(clips))
    per_frame = np.asarray(
        keras.layers.TimeDistributed(keras.Sequential(_layers()))(clips, training=True)
    )
    rows = []
    for i, label in enumerate(y[[0, 3]]):
        title = f"digit {label // 2}, moving {names[label % 2]}"
        rows += [
            (f"{title}\noriginal", clips[i]),
            ("SequenceAugmentation\n(one draw per clip)", per_sequence[i]),
            ("TimeDistributed\n(one draw per frame)", per_frame[i]),
        ]
    frames = clips.shape[1]
    fig, axes = plt.subplots(
        len(rows), frames, figsize=(frames * 1.1, len(rows) * 1.25)
    )
    for r, (label, clip) in enumerate(rows):
        for t in range(frames):
            ax = axes[r, t]
            ax.imshow(clip[t, :, :, 0], cmap="gray", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
            if r == 0:
                ax.set_title(f"frame {t}", fontsize=8)
        axes[r, 0].set_ylabel(label, rotation=0, ha="right", va="center", fontsize=8)
    fig.tight_layout()
    fig.savefig(args.out, dpi=110)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
