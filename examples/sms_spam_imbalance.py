"""Class imbalance on real text: SMS spam (about 12% spam), per-class recall.

Trains the same Embedding + bidirectional LSTM three ways on the training split and
reports per-class recall on the untouched test split after the first and the last
epoch:

1. plain `fit` (the majority class dominates the loss),
2. `fit(..., class_weight=ksf.class_weights(y_train))`,
3. `fit(ksf.BalancedBatches(ids_train, y_train))`: balanced batches, fresh draw each
   epoch, no copy of the data.

Only the training split is reweighted or resampled: the test split keeps the real
class ratio, so its recall is what the model will do in use.

It ends with the confusion matrix of each method on the test split, and saves two
figures: spam recall after every epoch, and the three confusion matrices. This is the
tutorial of docs/tutorials/text.md.

Run: python examples/sms_spam_imbalance.py [--figures docs/img]
With KERAS_SEQFIX_QUICK=1 it trains 1 epoch on a subset (a smoke test, CI runs it).
"""

import argparse
import os
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402

import keras_seqfix as ksf  # noqa: E402

QUICK = os.environ.get("KERAS_SEQFIX_QUICK") == "1"
EPOCHS = 1 if QUICK else 5
MAX_LEN = 40 if QUICK else 60


def recalls(pred, y):
    """Recall of each class and the balanced accuracy (their mean)."""
    per_class = [float((pred[y == c] == c).mean()) for c in (0, 1)]
    return per_class + [float(np.mean(per_class))]


class TestRecall(keras.callbacks.Callback):
    """Test-split recall after every epoch (reported, never tuned on)."""

    def __init__(self, ids, y):
        super().__init__()
        self.ids, self.y, self.rows, self.pred = ids, y, {}, None

    def on_epoch_end(self, epoch, logs=None):
        probs = self.model.predict(self.ids, batch_size=256, verbose=0)
        self.pred = probs.argmax(axis=-1)
        self.rows[epoch + 1] = recalls(self.pred, self.y)


def main(figures):
    (x_train, y_train), (x_test, y_test) = ksf.load_sms_spam()
    if QUICK:
        x_train, y_train = x_train[:500], y_train[:500]
        x_test, y_test = x_test[:300], y_test[:300]
    print(f"train: {len(y_train)} messages, spam {y_train.mean():.1%}")
    print(f"test:  {len(y_test)} messages, spam {y_test.mean():.1%} (never resampled)")

    # Tokenise outside the model: BalancedBatches then indexes plain integer arrays.
    vectorizer = keras.layers.TextVectorization(
        max_tokens=10_000, output_sequence_length=MAX_LEN
    )
    vectorizer.adapt(x_train)
    ids_train = np.asarray(vectorizer(x_train))
    ids_test = np.asarray(vectorizer(x_test))
    vocab_size = vectorizer.vocabulary_size()

    def new_model():
        keras.utils.set_random_seed(0)
        return ksf.models.build_lstm_classifier(
            2, vocab_size=vocab_size, embedding_dim=32, units=16 if QUICK else 32
        )

    weights = ksf.class_weights(y_train)
    print("class_weights(y_train):", {k: round(v, 2) for k, v in weights.items()})
    runs = {
        "plain fit": lambda m, cb: m.fit(
            ids_train, y_train, batch_size=32, epochs=EPOCHS, callbacks=cb, verbose=0
        ),
        "class_weight": lambda m, cb: m.fit(
            ids_train,
            y_train,
            batch_size=32,
            epochs=EPOCHS,
            class_weight=weights,
            callbacks=cb,
            verbose=0,
        ),
        "BalancedBatches": lambda m, cb: m.fit(
            ksf.BalancedBatches(ids_train, y_train, batch_size=32, random_state=0),
            epochs=EPOCHS,
            callbacks=cb,
            verbose=0,
        ),
    }
    print(
        f"\n{'method':16s} {'epoch':>5s} {'recall ham':>10s} {'recall spam':>11s} "
        f"{'balanced acc':>12s}"
    )
    logs = {}
    for name, fit in runs.items():
        log = logs[name] = TestRecall(ids_test, y_test)
        fit(new_model(), [log])
        for epoch, (ham, spam, balanced) in log.rows.items():
            if epoch in (1, EPOCHS):
                print(
                    f"{name:16s} {epoch:5d} {ham:10.3f} {spam:11.3f} {balanced:12.3f}"
                )

    # Rows: true class, columns: predicted class (scikit-learn's convention).
    from sklearn.metrics import confusion_matrix

    matrices = {
        name: confusion_matrix(y_test, log.pred, labels=[0, 1])
        for name, log in logs.items()
    }
    print(f"\nconfusion matrices on the test split after epoch {EPOCHS}")
    print(
        f"{'method':16s} {'ham->ham':>8s} {'ham->spam':>9s} {'spam->ham':>9s} "
        f"{'spam->spam':>10s}"
    )
    for name, m in matrices.items():
        print(f"{name:16s} {m[0, 0]:8d} {m[0, 1]:9d} {m[1, 0]:9d} {m[1, 1]:10d}")
    save_figures(figures, logs, matrices)


def save_figures(figures, logs, matrices):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    os.makedirs(figures, exist_ok=True)
    fig, ax = plt.subplots(figsize=(6, 4))
    for name, log in logs.items():
        epochs = sorted(log.rows)
        ax.plot(epochs, [log.rows[e][1] for e in epochs], marker="o", label=name)
    ax.set(xlabel="epoch", ylabel="spam recall (test split)", title="SMS spam")
    ax.set_xticks(sorted(next(iter(logs.values())).rows))
    ax.legend()
    fig.tight_layout()
    fig.savefig(os.path.join(figures, "tutorial_text_recall.png"), dpi=100)
    plt.close(fig)

    fig, axes = plt.subplots(1, len(matrices), figsize=(4 * len(matrices), 3.6))
    for ax, (name, m) in zip(axes, matrices.items(), strict=True):
        ax.imshow(m / m.sum(axis=1, keepdims=True), cmap="Blues", vmin=0, vmax=1)
        for (i, j), count in np.ndenumerate(m):
            share = m[i, j] / m[i].sum()
            ax.text(
                j,
                i,
                str(count),
                ha="center",
                va="center",
                color="white" if share > 0.5 else "black",
            )
        ax.set(
            title=name,
            xticks=[0, 1],
            yticks=[0, 1],
            xticklabels=["ham", "spam"],
            yticklabels=["ham", "spam"],
            xlabel="predicted",
            ylabel="true",
        )
    fig.tight_layout()
    fig.savefig(os.path.join(figures, "tutorial_text_confusion.png"), dpi=100)
    plt.close(fig)
    print(f"\nfigures saved in {figures}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--figures",
        default=None,
        help="folder for the PNG figures (default: a temporary folder)",
    )
    args = parser.parse_args()
    main(args.figures or tempfile.mkdtemp(prefix="ksf_text_"))
