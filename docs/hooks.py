"""mkdocs hooks: tables rendered from the committed benchmark results.

A page marker `<!-- results:NAME -->` is replaced by the table of
`benchmarks/results/NAME.json` (the file a benchmark writes with `--output`), so the
figures on the page are those of the newest committed run, never a hand copy. An
unknown name or a missing file fails the build. Registered in mkdocs.yml (`hooks:`).
"""

import ast
import json
import pathlib
import re
import statistics

ROOT = pathlib.Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
MARKER = re.compile(r"<!--\s*results:([A-Za-z0-9_-]+)\s*-->")


class ResultsError(Exception):
    """A marker that cannot be rendered (raised as mkdocs' PluginError in a build)."""


def _shown(path):
    """`path` relative to the repository where it is inside it."""
    try:
        return path.relative_to(ROOT)
    except ValueError:
        return path


def _literal(path, name):
    """The value of the literal assigned to `name` at the top of the script `path`.

    Read without running the script (which imports Keras and aeon), so the docs build
    needs neither.
    """
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == name for t in node.targets
        ):
            return ast.literal_eval(node.value)
    raise ResultsError(f"{_shown(path)} assigns no literal `{name}`")


def _rocket(record):
    """`benchmarks/rocket.py --output`: medians per set, ours beside aeon's."""
    fcn = _literal(ROOT / "benchmarks" / "recipe.py", "PUBLISHED")
    not_shipped = _literal(ROOT / "benchmarks" / "rocket.py", "NOT_SHIPPED")
    seeds = sorted({run["seed"] for run in record["runs"]})
    lines = [
        "| set | aeon acc | ksf acc | ksf test loss | FCN | aeon train s | "
        "ksf train s | ratio | aeon predict s | ksf predict s (first, again) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, medians in record["medians"].items():
        aeon, ksf = medians["aeon"], medians["ksf"]
        published = fcn.get(name, {}).get("FCN")
        label = f"{name} (not shipped)" if name in not_shipped else name
        cells = [
            label,
            f"{aeon['accuracy']:.3f}",
            f"{ksf['accuracy']:.3f}",
            f"{ksf['loss']:.3f}",
            "-" if published is None else f"{published:.3f}",
            f"{aeon['train_s']:.2f}",
            f"{ksf['train_s']:.2f}",
            f"{ksf['train_s'] / aeon['train_s']:.1f}x",
            f"{aeon['predict_s']:.2f}",
            f"{ksf['predict_s']:.2f}, {ksf['predict_again_s']:.2f}",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    per_set = statistics.median(
        len({r["seed"] for r in record["runs"] if r["set"] == name})
        for name in record["medians"]
    )
    lines += [
        "",
        f"*Medians of {int(per_set)} seeds ({', '.join(map(str, seeds))}) per set, "
        f"CPU seconds; rendered from `benchmarks/results/rocket.json` (run of "
        f"{record['date']}, commit {record['commit']}, {record['machine']}, "
        f"{record['backend']} backend). ratio = ksf train s / aeon train s.*",
    ]
    return "\n".join(lines)


def _label_noise(record):
    """`benchmarks/label_noise.py --output`: found flips and false alarms, by role."""
    lines = [
        "| sets | labels flipped | cases | `noisy_labels` found | median precision "
        "of the listed samples | median flagged share (where checked) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for role in ("calibration", "held out"):
        cases = [c for c in record["cases"] if c["role"] == role]
        sets = ", ".join(dict.fromkeys(c["set"] for c in cases))
        for rate in sorted({c["rate"] for c in cases}):
            group = [c for c in cases if c["rate"] == rate]
            found = sum(c["finding"] is not None for c in group)
            precision = [c["listed_precision"] for c in group if c["listed_precision"]]
            shares = [
                c["flagged_fraction"]
                for c in group
                if c["flagged_fraction"] is not None
            ]
            cells = [
                f"{role}: {sets}",
                f"{rate:.0%}",
                str(len(group)),
                f"{found} of {len(group)}" + (" (false alarms)" if rate == 0 else ""),
                f"{statistics.median(precision):.2f}" if precision else "-",
                f"{statistics.median(shares):.3f}" if shares else "-",
            ]
            lines.append("| " + " | ".join(cells) + " |")
    lines += [
        "",
        "*Not checked: the reference too close to chance (three standard errors) to "
        "tell a wrong label from a hard sample. Rendered from "
        "`benchmarks/results/label_noise.json` (run of "
        f"{record['date']}, commit {record['commit']}, {record['machine']}, "
        f"{record['backend']} backend).*",
    ]
    return "\n".join(lines)


def _demo(record):
    """`scripts/make_doc_figures.py demo`: what `keras-seqfix demo` printed, and took."""
    header = ("recipe", "epochs", "test loss", "test accuracy", "seconds", "FCN")
    lines = [
        "| " + " | ".join(header) + " |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    lines += [
        "| " + " | ".join(row[k] for k in header) + " |" for row in record["rows"]
    ]
    found = ", ".join(f"`{code}`" for code in record["problems"]) or "nothing"
    lines += [
        "",
        f"*`diagnose` on the plain recipe found {found}. The whole demo took "
        f"{record['wall_s']:.0f} s wall"
        + ("" if record["cpu_s"] is None else f", {record['cpu_s']:.0f} s CPU")
        + f" ({record['machine']}, TensorFlow threads: {record['threads']}"
        + (f"; {record['note']}" if record.get("note") else "")
        + "; seconds in the table: wall seconds of training). Rendered from "
        f"`benchmarks/results/demo.json` (run of {record['date']}, commit "
        f"{record['commit']}, {record['backend']} backend; "
        "`python scripts/make_doc_figures.py demo` reruns it).*",
    ]
    return "\n".join(lines)


def _lr_rules(record):
    """`benchmarks/lr_rules.py`: each rule's final validation loss over the grid's
    best, per budget, the calibration sets apart from the held-out ones."""
    calibration, held_out = record["calibration"], record["held_out"]
    not_shipped = set(record.get("not_shipped", ()))
    names = [*calibration, *held_out]
    labels = [f"{n} (not shipped)" if n in not_shipped else n for n in names]
    lines = []
    for budget, per_rule in record["scores"].items():
        lines += [
            f"**After {budget} updates.**",
            "",
            "| rule | worst, calibration | worst, held out | "
            + " | ".join(labels)
            + " |",
            "|---|" + "---:|" * (2 + len(names)),
        ]
        order = sorted(per_rule, key=lambda r: per_rule[r]["calibration_worst"])
        for rule in order:
            row = per_rule[rule]
            held = row["held_out_worst"]
            name = f"**{rule}** (chosen)" if rule == record["chosen"] else rule
            cells = [
                name,
                f"{row['calibration_worst']:.2f}",
                "-" if held is None else f"{held:.2f}",
                *(f"{row['sets'][n]:.2f}" if n in row["sets"] else "-" for n in names),
            ]
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    seeds = sorted({len(record["sets"][n]["seeds"]) for n in names})
    count = str(seeds[0]) if len(seeds) == 1 else f"{seeds[0]} to {seeds[-1]}"
    lines += [
        f"*Ratio of the final validation loss at the rule's rate to the best of the "
        f"{len(record['grid'])}-point constant-rate grid; median of {count} seeds "
        "per set. The rule is chosen on the calibration sets "
        f"({', '.join(calibration)}) alone. Rendered from "
        "`benchmarks/results/lr_rules.json` (run of "
        f"{record['date']}, commit {record['commit']}, {record['machine']}, "
        f"{record['backend']} backend"
        + (f"; {record['note']}" if record.get("note") else "")
        + ").*",
    ]
    return "\n".join(lines)


def _diagnose_summary_row(label, record):
    s = record["summary"]
    return (
        f"| {label} | {s['fault_cases']} | {s['top1']:.0%} | {s['top3']:.0%} | "
        f"{s['healthy_controls']} | {s['false_alarms']} | {s['errors']} | "
        f"{s['median_seconds']:.1f} | {s['max_seconds']:.1f} |"
    )


def _diagnose_misses(cases):
    rows = []
    for c in cases:
        if "void" in c:
            rows.append(f"| `{c['case']}` | `{c['expected']}` | void | {c['void']} |")
        elif "error" in c:
            rows.append(
                f"| `{c['case']}` | {c['expected'] or 'healthy'} | error | "
                f"{c['error'][:80]} |"
            )
        elif c["expected"] is None and not c["ok"]:
            rows.append(
                f"| `{c['case']}` | healthy | false alarm | "
                f"{', '.join(c['problems'])} |"
            )
        elif c["expected"] is not None and not c.get("top1"):
            rank = c.get("rank") or "not found"
            rows.append(
                f"| `{c['case']}` | `{c['expected']}` | {rank} | "
                f"{', '.join(c['codes'][:3]) or '(none)'} |"
            )
    if not rows:
        return ["No misses."]
    return [
        "| case | expected | rank | ranked first (top 3) |",
        "|---|---|---|---|",
        *rows,
    ]


def _diagnose_generated(record):
    """`benchmarks/diagnose_generated.py --output`: calibration and held-out seeds."""
    runs = record["runs"]
    lines = [
        "| seed (role) | fault cases | top-1 | top-3 | healthy controls | false "
        "alarms | errors | median s | max s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for seed in sorted(runs, key=int):
        role = runs[seed].get("role", "")
        lines.append(_diagnose_summary_row(f"{seed} ({role})", runs[seed]))
    lines += [
        "",
        "Per cause code, over every seed (cases, first, in the top 3, and "
        "what was ranked first when it was missed):",
        "",
        "| expected | cases | first | top 3 | ranked first instead |",
        "|---|---:|---:|---:|---|",
    ]
    per = {}
    for seed in runs:
        for c in runs[seed]["cases"]:
            if "void" in c:
                continue
            key = c["expected"] or "healthy"
            row = per.setdefault(key, {"n": 0, "top1": 0, "top3": 0, "instead": []})
            row["n"] += 1
            if c["expected"] is None:
                row["top1"] += bool(c.get("ok"))
                row["top3"] += bool(c.get("ok"))
                if not c.get("ok") and c.get("codes"):
                    row["instead"].append(c["codes"][0])
                continue
            row["top1"] += bool(c.get("top1"))
            row["top3"] += bool(c.get("top3"))
            if not c.get("top1"):
                row["instead"].append(
                    (c.get("codes") or ["(none)"])[0] if "error" not in c else "error"
                )
    for key in sorted(per):
        row = per[key]
        instead = ", ".join(
            f"{k} x{row['instead'].count(k)}" for k in dict.fromkeys(row["instead"])
        )
        lines.append(
            f"| `{key}` | {row['n']} | {row['top1']} | {row['top3']} | "
            f"{instead or '-'} |"
        )
    for seed in sorted(runs, key=int):
        lines += [
            "",
            f"Misses of seed {seed} ({runs[seed].get('role', '')}):",
            "",
            *_diagnose_misses(runs[seed]["cases"]),
        ]
    first = runs[min(runs, key=int)]
    each = "; ".join(
        f"seed {seed}: {runs[seed]['date']}, commit {runs[seed]['commit']}"
        + (f" ({runs[seed]['note']})" if runs[seed].get("note") else "")
        for seed in sorted(runs, key=int)
    )
    lines += [
        "",
        "*Rendered from `benchmarks/results/diagnose_generated.json` "
        f"({first['machine']}, {first['backend']} backend; {each}). Healthy "
        "controls count as first when nothing is above low.*",
    ]
    return "\n".join(lines)


def _diagnose_public(record, expected="cause the accepted answer names"):
    """`benchmarks/diagnose.py --json` over the public questions' cases."""
    lines = [
        f"| case | {expected} | rank | ranked first (top 3) | s |",
        "|---|---|---:|---|---:|",
    ]
    for c in record["cases"]:
        if "error" in c:
            lines.append(
                f"| `{c['case']}` | `{c['expected']}` | error | {c['error'][:80]} | - |"
            )
            continue
        rank = c.get("rank") or "not found" if c["expected"] else "-"
        lines.append(
            f"| `{c['case']}` | `{c['expected'] or 'healthy'}` | {rank} | "
            f"{', '.join(c['codes'][:3]) or '(none)'} | {c['seconds']:.1f} |"
        )
    s = record["summary"]
    own = expected != "cause the accepted answer names"
    counted = (
        f"{s['fault_cases']} fault cases and {s['healthy_controls']} healthy "
        f"controls ({s['false_alarms']} false alarms)"
        if own
        else f"{s['fault_cases']} questions"
    )
    source = "diagnose_own.json" if own else "diagnose_public.json"
    lines += [
        "",
        f"*{counted}: first in {s['top1']:.0%}, in the "
        f"top 3 in {s['top3']:.0%}; median {s['median_seconds']:.1f} s. "
        f"Rendered from `benchmarks/results/{source}`"
        + (
            f" (run of {record['date']}, commit {record['commit']})"
            if "date" in record
            else ""
        )
        + ".*",
    ]
    return "\n".join(lines)


def _bad_inputs(record):
    """`benchmarks/bad_inputs.py`: each bad input scored clear, opaque, silent or
    hang, per family, and the state checks."""
    kinds = ("clear", "opaque", "silent", "hang")
    lines = [
        "| family | " + " | ".join(kinds) + " |",
        "|---|" + "---:|" * len(kinds),
    ]
    for family, counts in record["families"].items():
        lines.append(
            f"| {family} | " + " | ".join(str(counts[k]) for k in kinds) + " |"
        )
    c = record["counts"]
    lines.append("| **all** | " + " | ".join(f"**{c[k]}**" for k in kinds) + " |")
    lines += [
        "",
        f"*{record['total']} bad inputs; the user's model, weights, optimizer state "
        f"and data unchanged after {record['state_unchanged']} of "
        f"{record['state_checks']} checked calls. Rendered from "
        f"`benchmarks/results/bad_inputs.json` (run of {record['date']}, commit "
        f"{record['commit']}, {record['machine']}, {record['seconds']:.0f} s).*",
    ]
    return "\n".join(lines)


def _run_of(record, name):
    """The caption's closing words: which file, which run, on which machine."""
    threads = record.get("threads") or {}
    intra = threads.get("TF_NUM_INTRAOP_THREADS", "default")
    inter = threads.get("TF_NUM_INTEROP_THREADS", "default")
    return (
        f"Rendered from `benchmarks/results/{name}.json` (run of {record['date']}, "
        f"commit {record['commit']}, {record['machine']}, {record['backend']} backend, "
        f"TensorFlow threads intra-op {intra}, inter-op {inter}"
        + (f"; {record['note']}" if record.get("note") else "")
        + (f"; `{record['command']}`" if record.get("command") else "")
        + ")."
    )


def _import_time(record):
    """`benchmarks/import_time.py`: `import keras_seqfix` over `import keras`."""
    keras_s = record["median_s"]["keras"]
    ksf_s = record["median_s"]["keras_seqfix"]
    lines = [
        "| fresh interpreter | median wall s | ratio |",
        "|---|---:|---:|",
        f"| `import keras` | {keras_s:.2f} | 1.00 |",
        f"| `import keras_seqfix` | {ksf_s:.2f} | {ksf_s / keras_s:.2f}x "
        f"(+{ksf_s - keras_s:.2f} s) |",
        "",
        f"*Medians of {record['repeats']} runs of each, alternated. "
        + _run_of(record, "import_time")
        + "*",
    ]
    return "\n".join(lines)


def _imbalance(record):
    """`benchmarks/imbalance.py`: peak extra memory and epoch time of
    `BalancedBatches` beside the copying resamplers, and the SMOTE wrapper."""
    peak = {k: v / record["x_nbytes"] for k, v in record["peak_extra_bytes"].items()}
    epoch = {k: statistics.median(v) for k, v in record["epoch_s"].items()}
    smote = {k: statistics.median(v) for k, v in record["smote_s"].items()}
    rows = [
        (
            "peak extra memory, `BalancedBatches` (one epoch of batches)",
            f"{peak['BalancedBatches (1 epoch)']:.2%} of `x.nbytes`",
            "<= 5%",
        ),
        (
            "peak extra memory, `SequenceResampler(RandomOverSampler())`",
            f"{peak['SequenceResampler(ROS)']:.0%}",
            "",
        ),
        (
            "peak extra memory, imbalanced-learn on reshaped arrays",
            f"{peak['imblearn ROS on reshape']:.0%}",
            "",
        ),
        (
            "epoch time, `BalancedBatches` / pre-resampled array",
            f"{epoch['batches'] / epoch['arrays']:.2f}x "
            f"({epoch['batches']:.2f} s / {epoch['arrays']:.2f} s)",
            "<= 1.2x",
        ),
        (
            "`SequenceResampler(SMOTE())` / imbalanced-learn SMOTE on the flat array",
            f"{smote['wrapper'] / smote['imblearn']:.2f}x "
            f"({smote['wrapper']:.2f} s / {smote['imblearn']:.2f} s)",
            "<= 1.2x",
        ),
    ]
    shape = " x ".join(map(str, record["x_shape"]))
    counts = " / ".join(map(str, record["class_counts"]))
    lines = [
        "| measure | result | target |",
        "|---|---:|---:|",
        *(f"| {a} | {b} | {c} |" for a, b, c in rows),
        "",
        f"*`x` {shape} float32, class counts {counts}, batch "
        f"{record['batch_size']}; epoch times are medians over {record['repeats']} "
        f"alternating fits of epochs 2 to {record['epochs']}, SMOTE times medians of "
        f"{record['repeats']} alternating runs, wall seconds. "
        + _run_of(record, "imbalance")
        + "*",
    ]
    return "\n".join(lines)


def _ratio(part, key, base):
    return statistics.median(part[key]) / statistics.median(base)


def _not_recorded(part, command):
    return f"*{part}: not yet recorded; `{command}` writes it.*"


def _callbacks(record):
    """`benchmarks/callbacks.py`: the cost of `find_lr` and `GradientNormMonitor`
    (parts `cost`, `monitor`) and the quality of the suggestion (`quality`)."""
    lines = ["| measure | result | target |", "|---|---:|---:|"]
    cost, monitor = record.get("cost"), record.get("monitor")
    if cost:
        cpu, wall = cost["cpu_s"], cost["wall_s"]
        lines.append(
            f"| `find_lr`, {cost['steps']} steps, vs the same {cost['steps']} plain "
            f"`fit` steps ({cost['set']}, batch {cost['batch_size']}, "
            f"{cost['repeats']} repeats) | "
            f"{_ratio(cpu, 'find_lr', cpu['plain']):.2f}x CPU, "
            f"{_ratio(wall, 'find_lr', wall['plain']):.2f}x wall | <= 1.3x |"
        )
    if monitor:
        cpu, wall = monitor["cpu_s"], monitor["wall_s"]
        shape = " x ".join(map(str, monitor["x_shape"]))
        for key, label, target in (
            (
                "monitor",
                f"epoch with `GradientNormMonitor()` vs without ({shape}, "
                f"batch {monitor['batch_size']})",
                "<= 1.10x",
            ),
            ("per_batch", "same with `per_batch=True`", ""),
        ):
            lines.append(
                f"| {label} | {_ratio(cpu, key, cpu['without']):.3f}x CPU, "
                f"{_ratio(wall, key, wall['without']):.3f}x wall | {target} |"
            )
    lines = lines if len(lines) > 2 else []  # no header without a row
    for name, part in (("cost", cost), ("monitor", monitor)):
        command = f"python benchmarks/callbacks.py --part {name}"
        lines += [
            "",
            f"*Part {name}, medians. {_run_of(part, 'callbacks')}*"
            if part
            else _not_recorded(f"Part {name}", command),
        ]
    quality = record.get("quality")
    lines.append("")
    if not quality:
        lines.append(
            _not_recorded(
                "Quality of the suggestion",
                "python benchmarks/callbacks.py --part quality --seeds 3",
            )
        )
        return "\n".join(lines)
    lines += [
        "| set | suggestions (per seed) | best grid rate | suggestion / best of "
        "the grid | suggestion / 1e-3 | per seed / that seed's best |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, row in quality["sets"].items():
        lines.append(
            f"| {name} | {', '.join(f'{v:.2g}' for v in row['suggestions'])} | "
            f"{row['best_lr']:.1e} | {row['suggestion_over_best']:.2f} | "
            f"{row['suggestion_over_default']:.2f} | "
            f"{', '.join(f'{v:.2f}' for v in row['per_seed_over_best'])} |"
        )
    lines += [
        "",
        f"*Final validation loss after {quality['epochs']} epochs (batch "
        f"{quality['batch_size']}) at the suggested rate over the best of the "
        f"{len(quality['grid'])}-point grid {quality['grid'][0]:.0e} to "
        f"{quality['grid'][-1]:.0e} (target <= 1.10), medians over seeds "
        f"{', '.join(map(str, quality['seeds']))}. "
        + _run_of(quality, "callbacks")
        + "*",
    ]
    return "\n".join(lines)


def _augmentation(record):
    """`benchmarks/augmentation.py`: part `speed` (medians per method, ratios) and
    part `harm` (test loss and accuracy per augmentation, mean over seeds)."""
    lines = []
    speed = record.get("speed")
    if speed:
        med = {k: statistics.median(v) for k, v in speed["seconds"].items()}
        ours = med["SequenceAugmentation"]
        stock = med["stock Keras layers on flattened frames"]
        loop = med["per-frame ImageDataGenerator loop"]
        floor = med["one elementwise pass"]
        shape = " x ".join(map(str, speed["shape"]))
        lines += [
            "| method (flip + rotation + zoom + translation + contrast) | median | "
            "ratio |",
            "|---|---:|---:|",
            f"| `SequenceAugmentation` (one composed warp per clip) | "
            f"{1000 * ours:.0f} ms | 1.00 |",
            f"| stock Keras layers on the flattened frames | {1000 * stock:.0f} ms | "
            f"ours {ours / stock:.2f}x (target <= 0.6x) |",
            f"| per-frame `ImageDataGenerator` loop | {1000 * loop:.0f} ms | "
            f"ours {loop / ours:.1f}x faster (target >= 2x) |",
            f"| one elementwise pass (memory floor) | {1000 * floor:.0f} ms | "
            f"ours {ours / floor:.1f}x |",
            "",
            f"*Batches of {shape} float32, medians over {speed['repeats']} "
            "alternating rounds (the loop on every third), wall seconds. "
            + _run_of(speed, "augmentation")
            + "*",
        ]
    else:
        lines.append(_not_recorded("Speed", "python benchmarks/augmentation.py speed"))
    harm = record.get("harm")
    lines.append("")
    if not harm:
        lines.append(
            _not_recorded(
                "Harm of per-frame draws",
                "python benchmarks/augmentation.py harm --epochs 30 --seeds 0 1",
            )
        )
        return "\n".join(lines)
    lines += [
        "| augmentation | test loss | test accuracy |",
        "|---|---:|---:|",
    ]
    for name, rows in harm["results"].items():
        loss = statistics.mean(r["loss"] for r in rows)
        acc = statistics.mean(r["accuracy"] for r in rows)
        lines.append(f"| {name} | {loss:.3f} | {acc:.3f} |")
    lines += [
        "",
        f"*CNN-LSTM on the moving digits, {harm['epochs']} epochs, batch "
        f"{harm['batch_size']}, mean over seeds {', '.join(map(str, harm['seeds']))}. "
        + _run_of(harm, "augmentation")
        + "*",
    ]
    return "\n".join(lines)


def _span(values, spec):
    low, high = min(values), max(values)
    return (
        format(low, spec)
        if format(low, spec) == format(high, spec)
        else (f"{format(low, spec)}-{format(high, spec)}")
    )


def _by_run(named_entries):
    """`{(date, commit, machine, note): [(name, entry), ...]}`: the entries of one
    results file grouped by the run that wrote them, in first-seen order."""
    runs = {}
    for name, entry in named_entries:
        key = (entry["date"], entry["commit"], entry["machine"], entry["note"])
        runs.setdefault(key, []).append((name, entry))
    return runs


def _recipe(record):
    """`benchmarks/recipe.py`: per set, the plain recipe beside
    `build_lstm_classifier` + the fit recipe, medians over seeds, each set with the
    provenance of its own run."""
    published = _literal(ROOT / "benchmarks" / "recipe.py", "PUBLISHED")
    lines = [
        "| set | plain | `build_lstm_classifier` + recipe | epochs run / budget | "
        "CPU s | FCN / LSTM-FCN / InceptionTime |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, entry in record.items():
        plain, recipe = entry["medians"]["plain"], entry["medians"]["recipe"]
        rows = entry["runs"]["recipe"]
        pub = published.get(name)
        pub_text = (
            "-"
            if pub is None
            else " / ".join(
                "-" if pub.get(k) is None else f"{pub[k]:.3f}"
                for k in ("FCN", "LSTM-FCN", "InceptionTime")
            )
        )
        label = name
        plain_text, recipe_text = f"{plain['acc']:.3f}", f"{recipe['acc']:.3f}"
        if "spam_recall" in recipe:
            label = "SMS spam (spam recall)" if name == "sms_spam" else name
            plain_text += f" ({plain['spam_recall']:.3f})"
            recipe_text += f" ({recipe['spam_recall']:.3f})"
        budget = _span([r["max_epochs"] for r in rows], "d")
        lines.append(
            f"| {label} | {plain_text} | {recipe_text} | "
            f"{_span([r['epochs'] for r in rows], 'd')} / {budget} | "
            f"{_span([r['cpu'] for r in rows], '.0f')} | {pub_text} |"
        )
    lines.append("")
    for names_entries in _by_run(record.items()).values():
        names = ", ".join(n for n, _ in names_entries)
        entry = names_entries[0][1]
        seeds = ", ".join(map(str, entry["seeds"]))
        lines.append(
            f"*{names}: test accuracy, "
            + (
                f"medians over seeds {seeds}"
                if len(entry["seeds"]) > 1
                else f"seed {seeds}"
            )
            + "; epochs and CPU "
            "seconds of `fit`, lowest to highest over the seeds. "
            + _run_of(entry, "recipe")
            + "*"
        )
        lines.append("")
    return "\n".join(lines).rstrip("\n")


def _tuning(record):
    """`benchmarks/tuning.py --output`: per kind, set and trial count, the
    defaults beside `ksf.tune` and keras-tuner's `RandomSearch`, each entry with
    the provenance of its own run."""
    lines = [
        "| space | set | arm | trials run / asked | test accuracy | test loss | "
        "CPU s | CPU vs defaults |",
        "|---|---|---|---:|---:|---:|---:|---:|",
    ]
    for _, entry in sorted(record.items()):
        base = entry["arms"]["defaults"]["cpu_s"] or float("nan")
        for arm, row in entry["arms"].items():
            ran = row.get("trials")
            trials = "-" if ran is None else f"{ran} / {entry['trials']}"
            chosen = row.get("hyperparameters")
            label = f"`{arm}`" + (
                " (" + ", ".join(f"{k}={v}" for k, v in chosen.items()) + ")"
                if chosen and len(chosen) <= 3
                else ""
            )
            lines.append(
                f"| {entry['kind']} | {entry['dataset']} | {label} | {trials} | "
                f"{row['test_accuracy']:.3f} | {row['test_loss']:.3f} | "
                f"{row['cpu_s']:.1f} | {row['cpu_s'] / base:.1f}x |"
            )
    lines.append("")
    for keys_entries in _by_run(sorted(record.items())).values():
        keys = ", ".join(f"`{k}`" for k, _ in keys_entries)
        budget = keys_entries[0][1].get("time_budget")
        lines.append(
            f"*{keys}: test split of each set; CPU seconds of the whole arm "
            "(search and refit), all threads"
            + (f"; `time_budget={budget:g}` s for `ksf.tune`" if budget else "")
            + ". "
            + _run_of(keys_entries[0][1], "tuning")
            + "*"
        )
        lines.append("")
    return "\n".join(lines).rstrip("\n")


RENDERERS = {
    "augmentation": _augmentation,
    "bad_inputs": _bad_inputs,
    "callbacks": _callbacks,
    "imbalance": _imbalance,
    "import_time": _import_time,
    "recipe": _recipe,
    "rocket": _rocket,
    "tuning": _tuning,
    "label_noise": _label_noise,
    "demo": _demo,
    "lr_rules": _lr_rules,
    "diagnose_generated": _diagnose_generated,
    "diagnose_public": _diagnose_public,
    "diagnose_own": lambda record: _diagnose_public(record, expected="injected"),
}


def render(markdown, where="a page"):
    """`markdown` with every results marker replaced by its table."""

    def replace(match):
        name = match.group(1)
        if name not in RENDERERS:
            raise ResultsError(
                f"{where}: `<!-- results:{name} -->` names no results table; "
                f"known: {', '.join(sorted(RENDERERS))}."
            )
        path = RESULTS / f"{name}.json"
        if not path.is_file():
            raise ResultsError(
                f"{where}: `<!-- results:{name} -->` needs {_shown(path)}, "
                "which does not exist; write it with the benchmark's `--output`."
            )
        try:
            return RENDERERS[name](json.loads(path.read_text()))
        except (KeyError, TypeError, ValueError) as exc:
            raise ResultsError(
                f"{where}: {_shown(path)} is not a {name} results file "
                f"({type(exc).__name__}: {exc})."
            ) from exc

    return MARKER.sub(replace, markdown)


def on_config(config, **kwargs):
    """`mkdocs serve` rebuilds when a results file changes."""
    config.watch.append(str(RESULTS))
    return config


def on_page_markdown(markdown, page, config, files, **kwargs):
    from mkdocs.exceptions import PluginError

    try:
        return render(markdown, where=page.file.src_uri)
    except ResultsError as exc:
        raise PluginError(str(exc)) from exc
