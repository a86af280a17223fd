"""`keras-seqfix demo`: the main job, end to end on shipped real data.

The story: the widely copied plain recipe (`LSTM(64)` + `Dense`, Adam 1e-3) on the
ArrowHead series keeps its loss near log K (chance); `diagnose` says why; the fixes
are applied with `keras_seqfix`: `build_rocket_classifier` (MiniRocket features and
a closed-form head, seconds) and `build_lstm_classifier` with the fit recipe
(`find_lr` when the diagnosis flags the learning rate); the test loss, accuracy
and seconds of each are printed beside the published FCN accuracy. Plots (PNG) and
a markdown report go to `output_dir`. At most three minutes on 2 idle cores
(`benchmarks/results/demo.json` has the last measured run).
"""

import math
import time
from pathlib import Path

# Published FCN test accuracy (Wang, Yan and Oates 2017; Fawaz et al. 2019), as in
# benchmarks/recipe.py.
PUBLISHED_FCN = {"ArrowHead": 0.84, "GunPoint": 1.00}

# What the demo does about each cause `diagnose` can report (the fixed recipe).
_ACTIONS = {
    "architecture_mismatch": "ksf.build_rocket_classifier and "
    "ksf.build_lstm_classifier (models made for the data's kind and shape)",
    "underfitting": "ksf.build_lstm_classifier defaults (LSTM-FCN: LSTM + conv branch)",
    "no_signal": "ksf.build_lstm_classifier defaults (the conv branch sees local shape)",
    "vanishing_gradients": "ksf.build_lstm_classifier defaults (BatchNorm, conv branch)",
    "exploding_gradients": "ksf.build_lstm_classifier defaults (BatchNorm, conv branch)",
    "lr_too_low": "learning rate from ksf.find_lr",
    "lr_too_high": "learning rate from ksf.find_lr",
    "unscaled_inputs": "per-feature Normalization (adapt_data=x_train)",
    "overfitting": "ksf.early_stopping (restores the best weights), dropout 0.3",
    "insufficient_data": "ksf.build_rocket_classifier (a linear head on fixed "
    "features), ksf.fit_recipe (every series trains, no validation split); more "
    "data is the real fix",
}
_LR_CODES = ("lr_too_low", "lr_too_high")
_RECIPE = (
    "build_rocket_classifier(K, input_shape, adapt_data=x_train, "
    "adapt_labels=y_train): MiniRocket features, ridge head in closed form",
    "build_lstm_classifier(K, input_shape, adapt_data=x_train)",
    "find_lr(model, x_train, y_train), when diagnose flags the learning rate",
    "model.fit(x_train, y_train, **ksf.fit_recipe(x_train, model=model)): even "
    "batches, the rate halved on a training-loss plateau, stop at its floor "
    "(the demo: max_epochs=75 of up to 834, unless --full)",
)


class _Progress:
    def __init__(self):
        self.start = time.perf_counter()

    def __call__(self, message):
        print(f"[demo {time.perf_counter() - self.start:5.0f}s] {message}", flush=True)


def _epoch_printer(log, name, epochs, every):
    import keras

    def on_epoch_end(epoch, logs):
        if (epoch + 1) % every == 0 or epoch + 1 == epochs:
            log(
                f"  {name} epoch {epoch + 1}/{epochs}: loss {logs['loss']:.3f}, "
                f"accuracy {logs.get('accuracy', math.nan):.3f}"
            )

    return keras.callbacks.LambdaCallback(on_epoch_end=on_epoch_end)


def _train_plain(data, epochs, log):
    import keras

    (x_train, y_train), (x_test, y_test), k = data
    model = keras.Sequential(
        [
            keras.Input(x_train.shape[1:]),
            keras.layers.LSTM(64),
            keras.layers.Dense(k, activation="softmax"),
        ]
    )
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    start = time.perf_counter()
    every = max(1, epochs // 5)
    history = model.fit(
        x_train,
        y_train,
        epochs=epochs,
        batch_size=16,
        verbose=0,
        callbacks=[_epoch_printer(log, "plain", epochs, every)],
    )
    return _result(model, history, (x_test, y_test), start, lr=1e-3)


def _result(model, history, test, start, **extra):
    """What a demo run reports: the model, its curves, test loss and accuracy."""
    loss, acc = model.evaluate(*test, verbose=0)
    return {
        "model": model,
        "history": history.history,
        "test_loss": loss,
        "test_acc": acc,
        "epochs": len(history.history["loss"]),
        "seconds": time.perf_counter() - start,
        **extra,
    }


def _train_rocket(data, seed):
    import keras_seqfix as ksf

    (x_train, y_train), (x_test, y_test), k = data
    start = time.perf_counter()
    model = ksf.models.build_rocket_classifier(
        k,
        input_shape=x_train.shape[1:],
        adapt_data=x_train,
        adapt_labels=y_train,
        seed=seed,
    )
    seconds = time.perf_counter() - start
    loss, acc = model.evaluate(x_test, y_test, verbose=0)
    return {
        "model": model,
        "test_loss": loss,
        "test_acc": acc,
        "epochs": 0,
        "seconds": seconds,
    }


#: Epochs of the LSTM builder in the demo (the fit recipe's default on ArrowHead is
#: up to 834, 2,500 updates): what fits the demo's three minutes on 2 idle cores;
#: `--full` trains the whole recipe.
DEMO_EPOCHS = 75


def _train_lstm(data, quick, full, seed, log, problems):
    import keras

    import keras_seqfix as ksf

    (x_train, y_train), (x_test, y_test), k = data
    keras.utils.set_random_seed(seed)
    model = ksf.models.build_lstm_classifier(
        k, input_shape=x_train.shape[1:], adapt_data=x_train
    )
    recipe = ksf.models.fit_recipe(
        x_train,
        model=model,
        max_epochs=2 if quick else None if full else DEMO_EPOCHS,
    )
    start = time.perf_counter()
    lr, lr_result = 1e-3, None
    if any(c in problems for c in _LR_CODES):
        log("find_lr: learning-rate range test on the fresh model")
        lr_result = ksf.callbacks.find_lr(
            model,
            x_train,
            y_train,
            batch_size=recipe["batch_size"],
            num_steps=10 if quick else 100,
            verbose=0,
        )
        suggestion = float(lr_result.suggestion)
        if math.isfinite(suggestion):
            lr = float(min(max(suggestion, 1e-5), 1e-1))
        log(f"find_lr suggests {suggestion:.2g}; training at {lr:.2g}")
        model.optimizer.learning_rate = lr
    else:
        log("diagnose did not flag the learning rate: Adam 1e-3 kept (no find_lr)")
    epochs = recipe["epochs"]
    log(
        f"fit_recipe: up to {epochs} epochs in batches of {recipe['batch_size']}, "
        "stopping when the training loss is at its floor"
    )
    recipe["callbacks"].append(
        _epoch_printer(log, "build_lstm_classifier", epochs, max(1, epochs // 10))
    )
    history = model.fit(x_train, y_train, verbose=0, **recipe)
    return _result(model, history, (x_test, y_test), start, lr=lr, lr_result=lr_result)


def _table(name, runs, log_k):
    """`runs`: (label, result) pairs; a markdown table with the published FCN."""
    published = PUBLISHED_FCN.get(name)
    published = f"{published:.2f}" if published else "-"
    rows = [("recipe", "epochs", "test loss", "test accuracy", "seconds", "FCN")]
    rows += [
        (
            label,
            str(r["epochs"]) if r["epochs"] else "- (closed form)",
            f"{r['test_loss']:.3f}",
            f"{r['test_acc']:.3f}",
            f"{r['seconds']:.0f}" if r["seconds"] >= 10 else f"{r['seconds']:.1f}",
            published,
        )
        for label, r in runs
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]

    def line(row):
        return (
            "| "
            + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True))
            + " |"
        )

    sep = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    text = "\n".join([line(rows[0]), sep, *map(line, rows[1:])])
    return text + (
        f"\n\nlog K = {log_k:.3f} is the loss of a model that guesses (chance); "
        "seconds are wall seconds of training (and, for the Rocket builder, of "
        "building it); FCN is the published test accuracy (Fawaz et al. 2019)."
    )


def _plots(out, before, after, report, log):
    try:
        import matplotlib

        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt
    except ImportError:
        log('matplotlib is not installed: no plots (pip install "keras-seqfix[plot]")')
        return []
    written = []
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(before["history"]["loss"], label="plain LSTM: training loss")
    ax.plot(after["history"]["loss"], label="build_lstm_classifier: training loss")
    ax.set(xlabel="epoch", ylabel="loss", title="Training loss before and after")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "training_curves.png", dpi=100)
    plt.close(fig)
    written.append("training_curves.png")
    plt.close(report.plot(out / "diagnosis.png"))
    written.append("diagnosis.png")
    if after["lr_result"] is not None:
        ax = after["lr_result"].plot()
        ax.figure.savefig(out / "lr_finder.png", dpi=100)
        plt.close(ax.figure)
        written.append("lr_finder.png")
    return written


def run_demo(
    *,
    quick=False,
    full=False,
    output_dir="keras_seqfix_demo",
    seed=0,
    dataset="ArrowHead",
):
    """Train the plain LSTM recipe, diagnose it, apply the fixes, compare on test data.

    Args:
        quick: a short run for smoke tests and CI (under a minute). Defaults to
            `False` (at most three minutes on 2 idle CPU cores).
        full: train the LSTM builder with the whole fit recipe (2,500 updates,
            stopping at the training loss's floor; about 4 minutes more) instead
            of the demo's 75 epochs. Defaults to `False`.
        output_dir: folder for `report.md` and the PNG plots. Defaults to
            `"keras_seqfix_demo"`.
        seed: random seed. Defaults to `0`.
        dataset: the shipped UCR set. Defaults to `"ArrowHead"`.

    Returns:
        The process exit code, `0`.
    """
    import keras

    import keras_seqfix as ksf

    log = _Progress()
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    keras.utils.set_random_seed(seed)
    (x_train, y_train), (x_test, y_test) = ksf.load_ucr(dataset)
    k = int(y_train.max()) + 1
    data = ((x_train, y_train), (x_test, y_test), k)
    log(
        f"{dataset} (UCR archive): {len(x_train)} training and {len(x_test)} test "
        f"series of {x_train.shape[1]} steps, {k} classes; chance loss log K = "
        f"{math.log(k):.3f}"
    )
    plain_epochs = 2 if quick else 30
    log(f"1/4 the plain recipe: LSTM(64) + Dense, Adam 1e-3, {plain_epochs} epochs")
    before = _train_plain(data, plain_epochs, log)
    log(f"    test loss {before['test_loss']:.3f}, accuracy {before['test_acc']:.3f}")

    log("2/4 diagnose(model, x_train, y_train, history=...)")
    report = ksf.diagnosis.diagnose(
        before["model"],
        x_train,
        y_train,
        history=before["history"],
        seed=seed,
        verbose=1,
        probe=not quick,
    )
    print(report, flush=True)

    problems = [f.code for f in report.problems]
    log("3/4 the fixes, with keras_seqfix:")
    for code in problems:
        log(f"    {code}: {_ACTIONS.get(code, 'not addressed by the demo')}")
    for step in _RECIPE:
        log(f"    recipe: {step}")
    log("    build_rocket_classifier: MiniRocket features, ridge head")
    rocket = _train_rocket(data, seed)
    log(
        f"    test loss {rocket['test_loss']:.3f}, accuracy {rocket['test_acc']:.3f} "
        f"in {rocket['seconds']:.1f} s"
    )
    log("    build_lstm_classifier defaults with the fit recipe")
    after = _train_lstm(data, quick, full, seed, log, problems)
    log(
        f"    test loss {after['test_loss']:.3f}, accuracy {after['test_acc']:.3f} "
        f"in {after['seconds']:.0f} s"
    )

    log("4/4 before and after (test split)")
    lr_note = "" if after["lr"] == 1e-3 else f", lr {after['lr']:.1e}"
    runs = [
        ("plain LSTM(64) + Dense, Adam 1e-3", before),
        ("ksf.build_rocket_classifier", rocket),
        (
            "ksf.build_lstm_classifier + fit_recipe"
            + ("" if full else f"(max_epochs={DEMO_EPOCHS})")
            + lr_note,
            after,
        ),
    ]
    table = _table(dataset, runs, math.log(k))
    print(table, flush=True)
    written = _plots(out, before, after, report, log)
    lines = [f"# keras-seqfix demo: {dataset}", "", table, ""]
    if problems:
        lines += ["## What diagnose found and what was done", ""]
        lines += [
            f"- `{c}`: {_ACTIONS.get(c, 'not addressed by the demo')}" for c in problems
        ]
        lines.append("")
    lines += [f"![{name}]({name})" for name in written]
    lines += [
        "",
        report.to_markdown().replace(
            "# keras_seqfix diagnosis", "## Diagnosis of the plain recipe"
        ),
    ]
    (out / "report.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    log(f"wrote {out / 'report.md'} and {len(written)} plots to {out}/")
    return 0
