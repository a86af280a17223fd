"""Cases of `benchmarks/diagnose.py` reproduced from public questions about high loss.

Each case rebuilds the asker's set-up as written in a public Q&A thread or GitHub
issue (their layers, loss, optimizer and rate, label format) on data of the same
shape and kind, and names as its expected code the cause that the accepted answer
(or the maintainer's or the asker's confirmed reply) gives. The source and a
one-line summary of that answer are in the comment above each case. Where the
asker's data is not public or too large, a small seeded synthetic set of the same
shape is made here; where the asker's model cannot run as written in Keras 3 or on
the shipped data (an API gone, frames too small for five pooling stages), the
comment says what was changed. Nothing here is tuned to make `diagnose` pass: the
cases are a held-out measurement.

Run: python benchmarks/diagnose.py --public [--json PATH]
"""

import functools

import keras
import numpy as np
from diagnose_cases import L, case, digits, sms

RNG = np.random.default_rng


def compiled_model(layers, shape, loss, optimizer, dtype="float32"):
    model = keras.Sequential([keras.Input(shape, dtype=dtype), *layers])
    model.compile(optimizer, loss, metrics=["accuracy"])
    return model


# ------------------------------------------------------------ seeded data sets
@functools.cache
def token_docs(
    n,
    length,
    k,
    *,
    vocab=5000,
    seed=0,
    keywords=30,
    signal=0.3,
    min_len=None,
    priors=None,
    first_id=1,
):
    """Documents as token ids, post-padded with 0 (what `Tokenizer` +
    `pad_sequences(padding="post")` and `TextVectorization` give).

    Each class has `keywords` ids of its own; a token is one of them with
    probability `signal`, else drawn from the whole vocabulary.
    """
    rng = RNG(seed)
    priors = np.full(k, 1.0 / k) if priors is None else np.asarray(priors)
    y = rng.choice(k, size=n, p=priors / priors.sum())
    words = rng.permutation(np.arange(first_id, vocab))[: k * keywords]
    words = words.reshape(k, keywords)
    lengths = rng.integers(min_len or max(3, length // 4), length + 1, size=n)
    x = np.zeros((n, length), "int32")
    for i in range(n):
        own = rng.random(lengths[i]) < signal
        tokens = rng.integers(first_id, vocab, size=lengths[i])
        tokens[own] = rng.choice(words[y[i]], size=int(own.sum()))
        x[i, : lengths[i]] = tokens
    return x, y.astype("int64")


@functools.cache
def sensor_series(n, steps, channels, k, seed=0):
    """Multichannel series: a class-specific frequency and phase per channel, noise."""
    rng = RNG(seed)
    y = rng.integers(0, k, size=n)
    t = np.linspace(0, 1, steps)[None, :, None]
    freq = 2 + 3 * rng.random((k, channels))
    phase = 2 * np.pi * rng.random((k, channels))
    x = np.sin(2 * np.pi * freq[y][:, None, :] * t + phase[y][:, None, :])
    x = x + 0.8 * rng.standard_normal((n, steps, channels))
    return x.astype("float32"), y.astype("int64")


def split(x, y, n_val):
    return x[:-n_val], y[:-n_val], x[-n_val:], y[-n_val:]


# --------------------------------------------------------------- output layer
# https://stackoverflow.com/questions/47241622 "Is it okay to use stateful Recurrent
# NN (LSTM) for classification": 50,000 binary samples of 128 features, labels 1 or
# -1, LSTM(128) -> Dense(1, softmax), binary_crossentropy, adam; accuracy <= 55%
# while an MLP reaches 97%. Accepted answer: softmax on a single unit always
# outputs 1; use sigmoid (or two softmax units with categorical_crossentropy).
# Changed: stateful=True with batch_input_shape dropped (the answer does not
# involve it and diagnose runs other batch sizes); 2,500 of the 50,000 samples.
@case("public_so47241622_softmax_one_unit", "output_activation_mismatch")
def _():
    rng = RNG(47241622)
    x = (rng.random((2500, 128, 1)) < 0.5).astype("float32")
    w = rng.standard_normal(128)
    y = np.where(x[:, :, 0] @ w > 0, 1, -1).astype("int64")  # labels as written
    model = compiled_model(
        [L.LSTM(128, return_sequences=False), L.Dense(1, activation="softmax")],
        (128, 1),
        "binary_crossentropy",
        "adam",
    )
    xt, yt, xv, yv = split(x, y, 500)
    return model, xt, yt, {"validation_data": (xv, yv)}


# ------------------------------------------------------------ labels and loss
# https://stats.stackexchange.com/questions/565956 "Confused with binary
# cross-entropy vs categorical cross-entropy": X (430000, 5, 10) of label-encoded
# categorical features, y (430000, 1) of 0/1, LSTM(256, recurrent_activation=
# 'hard_sigmoid') -> Dense(1, sigmoid), categorical_crossentropy, adam: 26% accuracy,
# predicts only class 0. Accepted answer: categorical cross-entropy on one output
# is -y log p, minimised by p = 1 for every input; use binary cross-entropy, or k
# softmax outputs with one-hot labels. 3,000 samples.
@case("public_cv565956_cce_one_sigmoid", "label_loss_mismatch")
def _():
    rng = RNG(565956)
    x = rng.integers(0, 10, size=(3000, 5, 10)).astype("float32")
    y = ((x[:, -1, 0] + x[:, -2, 3]) > 9).astype("int64").reshape(-1, 1)
    model = compiled_model(
        [
            L.LSTM(256, recurrent_activation="hard_sigmoid"),
            L.Dense(1, activation="sigmoid"),
        ],
        (5, 10),
        "categorical_crossentropy",
        "adam",
    )
    return model, x, y, {}


# https://github.com/keras-team/keras/issues/4994 "acc never change after every
# batch of learning (20 newsgroup dataset)": the pretrained_word_embeddings.py
# example (frozen 100-d GloVe embedding of 20,000 words, sequences of 1,000 ids,
# one-hot labels of 20 classes) with its Conv1D part replaced by LSTM(128,
# dropout_W=0.2, dropout_U=0.2) -> Dense(1) -> sigmoid -> Dense(20, softmax),
# binary_crossentropy, adam: loss 0.1985 and acc 0.95 on every batch. Answer in the
# thread: binary_crossentropy on a multi-class problem (its
# accuracy is the per-output binary accuracy, 19/20 = 0.95), and a one-unit
# bottleneck; use categorical_crossentropy. Changed: a frozen random embedding
# stands in for GloVe; 1,500 documents of 200 ids instead of 19,997 of 1,000.
@case("public_keras4994_binary_ce_newsgroups", "label_loss_mismatch")
def _():
    x, y = token_docs(1800, 200, 20, vocab=20000, seed=4994, min_len=60)
    y1 = keras.utils.to_categorical(y, 20)
    model = compiled_model(
        [
            L.Embedding(20000, 100, trainable=False),
            L.LSTM(128, dropout=0.2, recurrent_dropout=0.2),
            L.Dense(1),
            L.Activation("sigmoid"),
            L.Dense(20, activation="softmax"),
        ],
        (200,),
        "binary_crossentropy",
        "adam",
        dtype="int32",
    )
    xt, yt, xv, yv = split(x, y1, 300)
    return model, xt, yt, {"validation_data": (xv, yv)}


# http://pullrequest.ru/13662601 (a Russian copy of a Stack Overflow question,
# "number of outputs of the softmax Dense layer"): the TensorFlow course's BBC news
# classifier, Embedding(1000, 16, input_length=120) -> GlobalAveragePooling1D ->
# Dense(24, relu) -> Dense(5, softmax), sparse_categorical_crossentropy, adam, with
# labels from a keras Tokenizer fitted on the label names; it trains only with 6
# output units. Accepted (self-)answer: the Tokenizer numbers labels from 1 (0 is
# kept for padding), so labels 1..5 do not fit 5 outputs 0..4; subtract 1.
# 2,225 articles of 120 ids, labels of shape (n, 1) as texts_to_sequences gives.
@case("public_ru13662601_labels_from_1", "label_loss_mismatch")
def _():
    x, y = token_docs(2225, 120, 5, vocab=1000, seed=13662601, min_len=40)
    y = (y + 1).reshape(-1, 1)  # 'sport': 1, 'business': 2, ... as the Tokenizer
    model = compiled_model(
        [
            L.Embedding(1000, 16),
            L.GlobalAveragePooling1D(),
            L.Dense(24, activation="relu"),
            L.Dense(5, activation="softmax"),
        ],
        (120,),
        "sparse_categorical_crossentropy",
        "adam",
        dtype="int32",
    )
    xt, yt, xv, yv = split(x, y, 445)
    return model, xt, yt, {"validation_data": (xv, yv)}


# https://github.com/keras-team/keras/issues/2172 "Accuracy always 1 when using
# LSTM": text classification with 3 target labels, word2vec vectors as input
# (n_samples, sequence_size, dimsize), LSTM(400) -> Dropout(0.5) -> Dense(1) ->
# sigmoid, binary_crossentropy, adam, y_train a vector like [0, 2, 1, 0, ...]:
# loss -8.09, acc 1.0. Answer (confirmed by the asker, "that solves it"): the model
# has one output for three classes; the labels must be one-hot (n_samples, 3) with
# a 3-unit output. Synthetic: 2,000 texts of 30 word vectors of 50 dimensions.
@case("public_keras2172_one_unit_3_classes", "label_loss_mismatch")
def _():
    rng = RNG(2172)
    y = rng.integers(0, 3, size=2000)
    centers = rng.standard_normal((3, 50))
    x = 0.4 * centers[y][:, None, :] + rng.standard_normal((2000, 30, 50))
    model = compiled_model(
        [
            L.LSTM(400),
            L.Dropout(0.5),
            L.Dense(1),
            L.Activation("sigmoid"),
        ],
        (30, 50),
        "binary_crossentropy",
        "adam",
    )
    xt, yt, xv, yv = split(x.astype("float32"), y.astype("int64"), 400)
    return model, xt, yt, {"validation_data": (xv, yv)}


# https://stackoverflow.com/questions/42081257 "Why binary_crossentropy and
# categorical_crossentropy give different performances for the same problem?": a
# text CNN (embedding, Dropout(0.25), Conv1D(32, 4, relu), MaxPooling1D(2),
# Flatten, Dense(256), Dropout(0.25), relu, Dense(n_classes), softmax) on one-hot
# topic labels, adam: ~80% "accuracy" with binary_crossentropy, ~50% with
# categorical_crossentropy. Accepted answer: with binary_crossentropy Keras
# reports binary accuracy over the one-hot outputs, which is meaningless for a
# single-label multi-class problem; use categorical_crossentropy. Synthetic: 2,000
# documents of 100 ids, 8 topics, a trainable 100-d embedding.
@case("public_so42081257_binary_ce_text_cnn", "label_loss_mismatch")
def _():
    x, y = token_docs(2000, 100, 8, vocab=8000, seed=42081257, signal=0.12)
    y1 = keras.utils.to_categorical(y, 8)
    model = compiled_model(
        [
            L.Embedding(8000, 100),
            L.Dropout(0.25),
            L.Conv1D(32, 4, padding="valid", activation="relu"),
            L.MaxPooling1D(2),
            L.Flatten(),
            L.Dense(256),
            L.Dropout(0.25),
            L.Activation("relu"),
            L.Dense(8),
            L.Activation("softmax"),
        ],
        (100,),
        "binary_crossentropy",
        "adam",
        dtype="int32",
    )
    xt, yt, xv, yv = split(x, y1, 400)
    return model, xt, yt, {"validation_data": (xv, yv)}


# ----------------------------------------------------------------- gradients
# https://stackoverflow.com/questions/55322991 "Why am I getting NaN after adding
# relu activation in LSTM?": an embedding layer into stacked LSTM cells of 100 and
# 10 units with activation=relu, run with the sequence lengths, the last states of
# both layers concatenated for the classifier; "NaN loss during training", 100%
# reproducible, fine with tanh. Accepted answer: with relu inside the LSTM cell
# the outputs and cell state are unbounded (>= 0), the gradients become very large
# and explode. Changed: Keras layers for the TF1 cells (mask_zero plays the role
# of sequence_length); SMS spam as the text, two softmax classes, adam.
@case("public_so55322991_relu_lstm_nan", "exploding_gradients")
def _():
    xt, yt, xv, yv = sms(length=80)
    inp = keras.Input((80,), dtype="int32")
    emb = L.Embedding(4000, 64, mask_zero=True)(inp)
    seq, h1, _ = L.LSTM(
        100, activation="relu", return_sequences=True, return_state=True
    )(emb)
    h2 = L.LSTM(10, activation="relu")(seq)
    out = L.Dense(2, activation="softmax")(L.Concatenate()([h1, h2]))
    model = keras.Model(inp, out)
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model, xt, yt, {"validation_data": (xv, yv)}


# https://imathworks.com/cv/solved-batch-normalization-decreasing-model-accuracy
# (a copy of a Cross Validated question, "Batch Normalization decreasing model
# accuracy"): Bidirectional(LSTM(64, return_sequences=True)) -> three blocks of
# Conv1D (16, 32, 64 filters, 3, same) -> BatchNormalization -> relu ->
# MaxPooling1D(2), Dropout(0.3), Flatten, Dense(150) -> BN -> relu -> Dropout(0.4),
# Dense(10) -> BN -> relu -> Dropout(0.4), Dense(k, softmax), categorical
# cross-entropy on one-hot labels, adam; accuracy lower with the BN layers than
# without. Best answer: BatchNormalization before the ReLU normalises to zero mean
# so half the ReLUs are off, "and you get vanishing gradient"; put BN after the
# activation. Synthetic multichannel series: 1,500 of 64 steps x 6 channels, 4
# classes.
@case("public_cv_batchnorm_before_relu", "vanishing_gradients")
def _():
    x, y = sensor_series(1500, 64, 6, 4, seed=1)
    y1 = keras.utils.to_categorical(y, 4)
    blocks = []
    for filters in (16, 32, 64):
        blocks += [
            L.Conv1D(filters, 3, padding="same"),
            L.BatchNormalization(),
            L.Activation("relu"),
            L.MaxPooling1D(2),
        ]
    dense = []
    for units in (150, 10):
        dense += [
            L.Dense(units),
            L.BatchNormalization(),
            L.Activation("relu"),
            L.Dropout(0.4),
        ]
    model = compiled_model(
        [
            L.Bidirectional(L.LSTM(64, return_sequences=True)),
            *blocks,
            L.Dropout(0.3),
            L.Flatten(),
            *dense,
            L.Dense(4, activation="softmax"),
        ],
        (64, 6),
        "categorical_crossentropy",
        "adam",
    )
    xt, yt, xv, yv = split(x, y1, 300)
    return model, xt, yt, {"validation_data": (xv, yv)}


# ------------------------------------------------------------- data quantity
# https://github.com/harvitronix/five-video-classification-methods/issues/78
# "own dataset": sign-language clips, 10 classes, 21 training and 9 test videos per
# class, the repository's LRCN (TimeDistributed Conv2D(32, 7x7, stride 2), Conv2D
# 32, MaxPool, Conv2D 64 x2, MaxPool, ..., TimeDistributed(Flatten), Dropout(0.5),
# LSTM(256, dropout=0.5), Dense(10, softmax)), categorical_crossentropy,
# Adam(lr=1e-5, decay=1e-6): val error stays at 2.30 (chance for 10 classes).
# Maintainer's answer: the dataset is simply much too small; 21 clips per class are
# too few to learn sequences from. Changed: moving digits (16x16 frames, 8 per
# clip) for the sign clips, so only the first two of the five conv blocks fit; no
# decay (Keras 3 has no such argument).
@case("public_harvitronix78_lrcn_21_clips", "insufficient_data")
def _():
    xt, yt, xs, ys = digits()
    tr = np.concatenate([np.flatnonzero(yt == c)[:21] for c in range(10)])
    te = np.concatenate([np.flatnonzero(ys == c)[:9] for c in range(10)])
    td = L.TimeDistributed
    model = compiled_model(
        [
            td(L.Conv2D(32, (7, 7), strides=(2, 2), activation="relu", padding="same")),
            td(L.Conv2D(32, (3, 3), kernel_initializer="he_normal", activation="relu")),
            td(L.MaxPooling2D((2, 2), strides=(2, 2))),
            td(L.Conv2D(64, (3, 3), padding="same", activation="relu")),
            td(L.Conv2D(64, (3, 3), padding="same", activation="relu")),
            td(L.MaxPooling2D((2, 2), strides=(2, 2))),
            td(L.Flatten()),
            L.Dropout(0.5),
            L.LSTM(256, return_sequences=False, dropout=0.5),
            L.Dense(10, activation="softmax"),
        ],
        xt.shape[1:],
        "categorical_crossentropy",
        keras.optimizers.Adam(1e-5),
    )
    y_tr = keras.utils.to_categorical(yt[tr], 10)
    y_te = keras.utils.to_categorical(ys[te], 10)
    return model, xt[tr], y_tr, {"validation_data": (xs[te], y_te)}


# https://stats.stackexchange.com/questions/204745 "Preventing overfitting of LSTM
# on small dataset": 15,000 tweets, 5 sentiment classes, word2vec-like inputs of 80
# dimensions, one LSTM layer of 128 units, dropout 0.5, Adam with Keras defaults;
# 38% validation accuracy after 1 epoch, then validation accuracy falls while
# training accuracy climbs. Accepted answer: overfitting; reduce the hidden units
# (between the 80 inputs and the 5 outputs) and grow capacity only while it does
# not overfit. Synthetic tweets (2,000 of up to 30 ids, weak class signal), a
# trainable 80-d embedding, 4 epochs of training (batch 64) for the history.
@case("public_cv204745_tweets_lstm_overfits", "overfitting")
def _():
    x, y = token_docs(2000, 30, 5, vocab=6000, seed=204745, signal=0.08, min_len=8)
    xt, yt, xv, yv = split(x, y, 500)
    model = compiled_model(
        [
            L.Embedding(6000, 80),
            L.LSTM(128),
            L.Dropout(0.5),
            L.Dense(5, activation="softmax"),
        ],
        (30,),
        "sparse_categorical_crossentropy",
        "adam",
        dtype="int32",
    )
    hist = model.fit(
        xt, yt, validation_data=(xv, yv), epochs=4, batch_size=64, verbose=0
    )
    return model, xt, yt, {"validation_data": (xv, yv), "history": hist.history}


# -------------------------------------------------------------- optimisation
# https://github.com/keras-team/keras/issues/14607 "dropout rate in dense layer":
# a CNN + LSTM video classifier on UCF-101 with Dropout of 0.4 to 0.7 in its dense
# layer, batch size 64, learning rate 0.01; validation accuracy stagnates at 50%
# for every dropout rate. Answer in the thread: rerun with the learning rate
# lowered to something small like 1e-5 and a larger batch size. Changed: moving
# digits for UCF-101 (the thread does not show the backbone: a small per-frame
# CNN); Adam, whose rate the 0.01 is taken to be.
@case("public_keras14607_video_lr_0_01", "lr_too_high")
def _():
    xt, yt, xv, yv = digits()
    frame = keras.Sequential(
        [
            L.Conv2D(32, 3, activation="relu"),
            L.MaxPooling2D(),
            L.Conv2D(64, 3, activation="relu"),
            L.GlobalAveragePooling2D(),
        ]
    )
    model = compiled_model(
        [
            L.TimeDistributed(frame),
            L.LSTM(64),
            L.Dense(256, activation="relu"),
            L.Dropout(0.5),
            L.Dense(20, activation="softmax"),
        ],
        xt.shape[1:],
        "sparse_categorical_crossentropy",
        keras.optimizers.Adam(0.01),
    )
    return model, xt, yt, {"validation_data": (xv, yv), "batch_size": 64}


# ------------------------------------------------------------------- padding
# https://github.com/keras-team/keras-io/issues/2044 "Can't reproduce 'Text
# classification from scratch' example with LSTM" (Keras 3.8): the keras.io example
# (TextVectorization(max_tokens=20000, output_sequence_length=500), Embedding(20000,
# 128), Dropout(0.5), then Dense(128, relu), Dropout(0.5), Dense(1, sigmoid),
# binary_crossentropy, adam) with its Conv1D + GlobalMaxPooling1D replaced by an
# LSTM: accuracy stays around 0.50, while go_backwards=True learns. Answer (Keras
# team, confirmed by the asker): TextVectorization pads at the end, so the LSTM's
# last steps are padding; Embedding(..., mask_zero=True) fixes it. Changed: SMS spam
# for IMDB, balanced (all 421 spam, 421 ham) like IMDB, sequences of 200 ids.
@case("public_kerasio2044_post_padded_lstm", "padding_without_mask")
def _():
    xt, yt, _, _ = sms(length=200, vocab=20000)
    rng = RNG(2044)
    spam = np.flatnonzero(yt == 1)
    ham = rng.choice(np.flatnonzero(yt == 0), len(spam), replace=False)
    keep = rng.permutation(np.concatenate([spam, ham]))
    inp = keras.Input((None,), dtype="int64")
    h = L.Embedding(20000, 128)(inp)
    h = L.Dropout(0.5)(h)
    h = L.LSTM(128)(h)
    h = L.Dense(128, activation="relu")(h)
    h = L.Dropout(0.5)(h)
    out = L.Dense(1, activation="sigmoid", name="predictions")(h)
    model = keras.Model(inp, out)
    model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    x, y = xt[keep].astype("int64"), yt[keep]
    xt_, yt_, xv, yv = split(x, y, 170)
    return model, xt_, yt_, {"validation_data": (xv, yv)}


# ----------------------------------------------------------------- imbalance
# https://github.com/BrikerMan/Kashgari/issues/371 "Unbalanced text
# classification": Kashgari's BiLSTM_Model (a Keras model: embedding,
# Bidirectional(LSTM(128)), Dropout(0.4), Dense(n, softmax), categorical
# cross-entropy, adam) on an unbalanced text data set. Maintainer's answer: pass
# class_weight to fit (their example weights {0: 1, 1: 50, 2: 2}, i.e. class 1
# about 50 times rarer than class 0). Synthetic texts, 3,000 of up to 50 ids, the
# class shares that those weights balance (66%, 1.3%, 33%), one-hot labels.
@case("public_kashgari371_unbalanced_bilstm", "class_imbalance")
def _():
    x, y = token_docs(
        3000, 50, 3, vocab=5000, seed=371, signal=0.15, priors=(1.0, 0.02, 0.5)
    )
    y1 = keras.utils.to_categorical(y, 3)
    model = compiled_model(
        [
            L.Embedding(5000, 100),
            L.Bidirectional(L.LSTM(128)),
            L.Dropout(0.4),
            L.Dense(3, activation="softmax"),
        ],
        (50,),
        "categorical_crossentropy",
        "adam",
        dtype="int32",
    )
    xt, yt, xv, yv = split(x, y1, 500)
    return model, xt, yt, {"validation_data": (xv, yv)}
