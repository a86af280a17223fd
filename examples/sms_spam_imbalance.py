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

Run: python examples/sms_spam_imbalance.py
With KERAS_SEQFIX_QUICK=1 it trains 1 epoch on a subset (a smoke test, < 60 s).
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402

import keras_seqfix as ksf  # noqa: E402

QUICK = os.environ.get("KERAS_SEQFIX_QUICK") == "1"
EPOCHS = 1 if QUICK else 5
MAX_LEN = 40 if QUICK else 60


def recalls(model, ids, y):
    """Recall of each class and the balanced accuracy (their mean)."""
    pred = model.predict(ids, batch_size=256, verbose=0).argmax(axis=-1)
    per_class = [float((pred[y == c] == c).mean()) for c in (0, 1)]
    return per_class + [float(np.mean(per_class))]


class TestRecall(keras.callbacks.Callback):
    """Test-split recall after the first and the last epoch (reported, not tuned on)."""

    def __init__(self, ids, y):
        super().__init__()
        self.ids, self.y, self.rows = ids, y, {}

    def on_epoch_end(self, epoch, logs=None):
        if epoch + 1 in (1, EPOCHS):
            self.rows[epoch + 1] = recalls(self.model, self.ids, self.y)


def main():
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
    for name, fit in runs.items():
        log = TestRecall(ids_test, y_test)
        fit(new_model(), [log])
        for epoch, (ham, spam, balanced) in log.rows.items():
            print(f"{name:16s} {epoch:5d} {ham:10.3f} {spam:11.3f} {balanced:12.3f}")


if __name__ == "__main__":
    main()
