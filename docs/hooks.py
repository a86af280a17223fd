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
    lines += [
        "",
        "*Rendered from `benchmarks/results/diagnose_generated.json` (run of "
        f"{first['date']}, commit {first['commit']}, {first['machine']}, "
        f"{first['backend']} backend). Healthy controls count as first when "
        "nothing is above low.*",
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


RENDERERS = {
    "bad_inputs": _bad_inputs,
    "rocket": _rocket,
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
