"""docs/hooks.py renders the benchmark tables from the committed results files."""

import importlib.util
import json
import pathlib
import re
import types

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
ROCKET = json.loads((ROOT / "benchmarks" / "results" / "rocket.json").read_text())


@pytest.fixture(scope="module")
def hooks():
    spec = importlib.util.spec_from_file_location(
        "docs_hooks", ROOT / "docs" / "hooks.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _rows(markdown):
    """The body rows of the first markdown table in `markdown`, as lists of cells."""
    lines = [line for line in markdown.splitlines() if line.startswith("|")]
    return [[c.strip() for c in line.strip("|").split("|")] for line in lines[2:]]


def test_rocket_table_has_the_medians_of_the_results_file(hooks):
    rows = _rows(hooks.render("<!-- results:rocket -->"))
    assert [r[0].removesuffix(" (not shipped)") for r in rows] == list(
        ROCKET["medians"]
    )
    for row in rows:
        m = ROCKET["medians"][row[0].removesuffix(" (not shipped)")]
        aeon, ksf = m["aeon"], m["ksf"]
        assert float(row[1]) == pytest.approx(aeon["accuracy"], abs=5e-4)
        assert float(row[2]) == pytest.approx(ksf["accuracy"], abs=5e-4)
        assert float(row[3]) == pytest.approx(ksf["loss"], abs=5e-4)
        assert float(row[5]) == pytest.approx(aeon["train_s"], abs=5e-3)
        assert float(row[6]) == pytest.approx(ksf["train_s"], abs=5e-3)
        ratio = ksf["train_s"] / aeon["train_s"]
        assert float(row[7].removesuffix("x")) == pytest.approx(ratio, abs=0.05)
        first, again = (float(v) for v in row[9].split(","))
        assert first == pytest.approx(ksf["predict_s"], abs=5e-3)
        assert again == pytest.approx(ksf["predict_again_s"], abs=5e-3)


def test_rocket_table_takes_fcn_and_shipped_sets_from_the_scripts(hooks):
    rows = {r[0]: r for r in _rows(hooks.render("<!-- results:rocket -->"))}
    assert rows["GunPoint"][4] == "1.000"  # benchmarks/recipe.py PUBLISHED
    assert rows["ArrowHead"][4] == "0.843"
    assert rows["OSULeaf (not shipped)"][4] == "-"  # benchmarks/rocket.py NOT_SHIPPED


def test_caption_names_the_run(hooks):
    text = hooks.render("<!-- results:rocket -->")
    assert ROCKET["date"] in text and ROCKET["commit"] in text
    assert "benchmarks/results/rocket.json" in text


def test_text_around_markers_is_kept_and_pages_without_markers_are_unchanged(hooks):
    page = "# Title\n\nno marker here <!-- a comment -->\n"
    assert hooks.render(page) == page
    rendered = hooks.render("before\n\n<!-- results:rocket -->\n\nafter\n")
    assert rendered.startswith("before\n\n| set |")
    assert rendered.endswith("\n\nafter\n")


def test_unknown_name_fails_and_lists_the_known_ones(hooks):
    with pytest.raises(
        hooks.ResultsError,
        match=(
            "results:nope.*known: augmentation, bad_inputs, callbacks, demo, "
            "diagnose_generated, diagnose_own, diagnose_public, imbalance, "
            "import_time, label_noise, lr_rules, recipe, rocket"
        ),
    ):
        hooks.render("<!-- results:nope -->", where="benchmarks.md")


def test_missing_results_file_fails(hooks, monkeypatch, tmp_path):
    monkeypatch.setattr(hooks, "RESULTS", tmp_path)
    with pytest.raises(hooks.ResultsError, match=r"rocket\.json.*does not exist"):
        hooks.render("<!-- results:rocket -->")


def test_malformed_results_file_fails(hooks, monkeypatch, tmp_path):
    (tmp_path / "rocket.json").write_text(json.dumps({"runs": []}))
    monkeypatch.setattr(hooks, "RESULTS", tmp_path)
    with pytest.raises(hooks.ResultsError, match="not a rocket results file"):
        hooks.render("<!-- results:rocket -->")


def test_benchmarks_page_renders_rocket_from_the_file_not_a_copy(hooks):
    page = (ROOT / "docs" / "benchmarks.md").read_text()
    assert page.count("<!-- results:rocket -->") == 1
    # No hand-written copy of the results table beside the rendered one.
    assert "| aeon acc |" not in page


def test_build_error_is_a_plugin_error(hooks):
    exceptions = pytest.importorskip("mkdocs.exceptions")
    page = types.SimpleNamespace(file=types.SimpleNamespace(src_uri="x.md"))
    with pytest.raises(exceptions.PluginError, match="x.md"):
        hooks.on_page_markdown("<!-- results:nope -->", page, config={}, files=[])


def test_hook_is_registered_and_not_published():
    text = (ROOT / "mkdocs.yml").read_text()
    assert "hooks:\n  - docs/hooks.py" in text
    assert "exclude_docs: |\n  hooks.py" in text


DEMO = {
    "date": "2026-12-03",
    "commit": "abc1234",
    "machine": "x86_64, 2 cores",
    "backend": "tensorflow",
    "threads": "1",
    "wall_s": 95.4,
    "cpu_s": 88.2,
    "rows": [
        {
            "recipe": "plain LSTM(64) + Dense, Adam 1e-3",
            "epochs": "30",
            "test loss": "1.079",
            "test accuracy": "0.371",
            "seconds": "4.6",
            "FCN": "0.84",
        }
    ],
    "problems": ["insufficient_data", "underfitting"],
}


def test_demo_table_is_the_results_file(hooks, monkeypatch, tmp_path):
    (tmp_path / "demo.json").write_text(json.dumps(DEMO))
    monkeypatch.setattr(hooks, "RESULTS", tmp_path)
    text = hooks.render("<!-- results:demo -->")
    assert _rows(text) == [
        ["plain LSTM(64) + Dense, Adam 1e-3", *["30", "1.079", "0.371", "4.6", "0.84"]]
    ]
    assert "95 s wall, 88 s CPU" in text and "TensorFlow threads: 1" in text
    assert "`insufficient_data`, `underfitting`" in text
    assert "2026-12-03" in text and "abc1234" in text


NUMBER = re.compile(r"(?<![\d.\w])\d+\.\d{2,}(?![\d.])")  # 0.863, 2.10: not 0.5, 1e-3
TRIVIAL = {"0.00", "1.00", "0.000", "1.000"}


def _sections_with_markers():
    """(page, name, section text without the marker) for every results marker."""
    for page in sorted((ROOT / "docs").rglob("*.md")):
        for section in re.split(r"\n(?=#{1,3} )", page.read_text()):
            for name in MARKER.findall(section):
                yield page.relative_to(ROOT), name, MARKER.sub("", section)


MARKER = re.compile(r"<!--\s*results:([A-Za-z0-9_-]+)\s*-->")


def test_no_section_restates_its_rendered_figures_by_hand(hooks):
    found = list(_sections_with_markers())
    assert {name for _, name, _ in found} >= {
        "rocket",
        "demo",
        "recipe",
        "augmentation",
        "imbalance",
        "callbacks",
        "import_time",
    }
    for page, name, prose in found:
        rendered = set(NUMBER.findall(hooks.render(f"<!-- results:{name} -->")))
        by_hand = (set(NUMBER.findall(prose)) & rendered) - TRIVIAL
        assert not by_hand, (
            f"{page} states {sorted(by_hand)} of results/{name}.json by hand beside "
            "the rendered table: say it in words or render it"
        )


def test_the_readme_demo_table_is_generated_from_the_results_file(hooks):
    readme = (ROOT / "README.md").read_text()
    block = readme.split("<!-- demo:start -->\n", 1)[1].split("\n<!-- demo:end -->")[0]
    assert "| ksf.build_rocket_classifier |" in block
    assert block == hooks.render("<!-- results:demo -->"), (
        "README.md's demo table differs from benchmarks/results/demo.json: rerun "
        "`python scripts/make_doc_figures.py demo` (it rewrites the block)"
    )


def _lr_record():
    def row(sets, cal, held):
        return {"sets": sets, "calibration_worst": cal, "held_out_worst": held}

    return {
        "date": "2026-12-03",
        "commit": "abc1234",
        "machine": "x86_64, 2 cores",
        "backend": "tensorflow",
        "grid": [1e-5, 1e-3, 1e-1],
        "calibration": ["GunPoint"],
        "held_out": ["ArrowHead", "OSULeaf"],
        "not_shipped": ["OSULeaf"],
        "sets": {
            "GunPoint": {"seeds": [{}, {}, {}]},
            "ArrowHead": {"seeds": [{}, {}, {}]},
            "OSULeaf": {"seeds": [{}, {}]},
        },
        "scores": {
            "100": {
                "valley": row(
                    {"GunPoint": 1.5, "ArrowHead": 1.25, "OSULeaf": 2.5}, 1.5, 2.5
                ),
                "slide": row(
                    {"GunPoint": 1.125, "ArrowHead": 1.375, "OSULeaf": 1.0625},
                    1.125,
                    1.375,
                ),
            }
        },
        "chosen": "slide",
        "note": "max_length 64",
    }


def test_lr_rules_table_is_the_results_file(hooks, monkeypatch, tmp_path):
    (tmp_path / "lr_rules.json").write_text(json.dumps(_lr_record()))
    monkeypatch.setattr(hooks, "RESULTS", tmp_path)
    text = hooks.render("<!-- results:lr_rules -->")
    lines = [line for line in text.splitlines() if line.startswith("|")]
    assert lines[0].split("|")[4:7] == [
        " GunPoint ",
        " ArrowHead ",
        " OSULeaf (not shipped) ",
    ]
    # Rules by their worst calibration ratio, the chosen one marked.
    assert _rows(text) == [
        ["**slide** (chosen)", "1.12", "1.38", "1.12", "1.38", "1.06"],
        ["valley", "1.50", "2.50", "1.50", "1.25", "2.50"],
    ]
    assert "After 100 updates" in text and "3-point constant-rate grid" in text
    assert "2 to 3 seeds" in text and "max_length 64" in text
    assert "2026-12-03" in text and "abc1234" in text


def test_diagnose_tables_render_both_seeds_and_the_misses(hooks):
    # The committed results: the calibration and held-out seeds side by side,
    # the per-code table and each seed's misses.
    record = json.loads((hooks.RESULTS / "diagnose_generated.json").read_text())
    text = hooks.render("<!-- results:diagnose_generated -->")
    for seed, run in record["runs"].items():
        assert f"| {seed} ({run['role']}) | {run['summary']['fault_cases']} |" in text
        assert f"Misses of seed {seed}" in text
    assert "| expected | cases | first | top 3 | ranked first instead |" in text
    public = hooks.render("<!-- results:diagnose_public -->")
    cases = json.loads((hooks.RESULTS / "diagnose_public.json").read_text())["cases"]
    assert all(f"`{c['case']}`" in public for c in cases)


def test_void_generated_cases_are_listed_and_not_scored(hooks):
    case = {"case": "s9_000_x_dense_overfitting", "expected": "overfitting"}
    run = {
        "date": "2026-12-03",
        "commit": "abc1234",
        "machine": "m",
        "backend": "tensorflow",
        "role": "held out",
        "summary": {
            "fault_cases": 0,
            "top1": 0,
            "top3": 0,
            "healthy_controls": 0,
            "false_alarms": 0,
            "errors": 0,
            "median_seconds": 0.0,
            "max_seconds": 0.0,
        },
        "cases": [{**case, "void": "no overfitting to find"}],
    }
    text = hooks._diagnose_generated({"runs": {"9": run}})
    assert "| `s9_000_x_dense_overfitting` | `overfitting` | void |" in text
    per_code = text.split("ranked first instead |")[1].split("Misses")[0]
    assert "`overfitting`" not in per_code  # not scored


PROVENANCE = {
    "date": "2026-12-03",
    "commit": "abc1234",
    "machine": "x86_64, 2 cores",
    "backend": "tensorflow",
    "command": "python benchmarks/x.py",
    "threads": {"TF_NUM_INTRAOP_THREADS": "1", "TF_NUM_INTEROP_THREADS": "1"},
    "note": "measured beside a CI run",
}


def _render(hooks, monkeypatch, tmp_path, name, record):
    (tmp_path / f"{name}.json").write_text(json.dumps(record))
    monkeypatch.setattr(hooks, "RESULTS", tmp_path)
    return hooks.render(f"<!-- results:{name} -->")


def _names_the_run(text, name):
    return (
        f"benchmarks/results/{name}.json" in text
        and "2026-12-03" in text
        and "abc1234" in text
        and "intra-op 1, inter-op 1" in text
        and "measured beside a CI run" in text
    )


def test_import_time_table_is_the_medians_of_the_file(hooks, monkeypatch, tmp_path):
    record = {
        **PROVENANCE,
        "repeats": 3,
        "seconds": {"keras": [5.0, 4.0, 6.0], "keras_seqfix": [5.5, 4.5, 9.0]},
        "median_s": {"keras": 5.0, "keras_seqfix": 5.5},
    }
    text = _render(hooks, monkeypatch, tmp_path, "import_time", record)
    assert _rows(text) == [
        ["`import keras`", "5.00", "1.00"],
        ["`import keras_seqfix`", "5.50", "1.10x (+0.50 s)"],
    ]
    assert "Medians of 3 runs" in text and _names_the_run(text, "import_time")


def test_imbalance_table_has_fractions_and_ratios_of_medians(
    hooks, monkeypatch, tmp_path
):
    record = {
        **PROVENANCE,
        "x_shape": [100, 64, 32],
        "x_nbytes": 1000,
        "class_counts": [95, 5],
        "batch_size": 128,
        "epochs": 3,
        "repeats": 3,
        "peak_extra_bytes": {
            "BalancedBatches (1 epoch)": 13,
            "SequenceResampler(ROS)": 1910,
            "imblearn ROS on reshape": 3810,
        },
        "epoch_s": {"arrays": [1.0, 2.0, 9.0], "batches": [1.5, 2.5, 3.0]},
        "smote_s": {"imblearn": [4.0, 4.0, 4.0], "wrapper": [1.0, 2.0, 8.0]},
    }
    text = _render(hooks, monkeypatch, tmp_path, "imbalance", record)
    results = [row[1] for row in _rows(text)]
    assert results == [
        "1.30% of `x.nbytes`",
        "191%",
        "381%",
        "1.25x (2.50 s / 2.00 s)",  # medians first, then their ratio
        "0.50x (2.00 s / 4.00 s)",
    ]
    assert "class counts 95 / 5" in text and _names_the_run(text, "imbalance")


def _callbacks_record():
    return {
        "cost": {
            **PROVENANCE,
            "set": "JapaneseVowels",
            "steps": 100,
            "batch_size": 27,
            "repeats": 3,
            "wall_s": {"plain": [1.0, 2.0, 3.0], "find_lr": [1.6, 1.5, 9.0]},
            "cpu_s": {"plain": [2.0, 2.0, 2.0], "find_lr": [2.1, 2.2, 2.3]},
        },
        "monitor": {
            **PROVENANCE,
            "x_shape": [1024, 64, 3],
            "batch_size": 32,
            "repeats": 2,
            "epochs": 6,
            "wall_s": {"without": [1.0], "monitor": [1.05], "per_batch": [1.25]},
            "cpu_s": {"without": [2.0], "monitor": [2.02], "per_batch": [2.5]},
        },
    }


def test_callbacks_cost_table_and_quality_not_yet_recorded(
    hooks, monkeypatch, tmp_path
):
    text = _render(hooks, monkeypatch, tmp_path, "callbacks", _callbacks_record())
    assert [row[1] for row in _rows(text)] == [
        "1.10x CPU, 0.80x wall",
        "1.010x CPU, 1.050x wall",  # as the script prints them
        "1.250x CPU, 1.250x wall",
    ]
    assert _names_the_run(text, "callbacks")
    assert "Quality of the suggestion: not yet recorded" in text
    assert "python benchmarks/callbacks.py --part quality --seeds 3" in text


def test_callbacks_quality_table_and_a_missing_part(hooks, monkeypatch, tmp_path):
    record = _callbacks_record()
    del record["cost"]
    record["quality"] = {
        **PROVENANCE,
        "epochs": 20,
        "batch_size": 16,
        "seeds": [0, 1, 2],
        "grid": [1e-5, 1e-3, 1e-1],
        "sets": {
            "BasicMotions": {
                "suggestions": [0.0031, 0.002, 0.0041],
                "best_lr": 0.022,
                "suggestion_over_best": 8.21,
                "suggestion_over_default": 0.781,
                "per_seed_over_best": [7.0, 8.5, 9.25],
            }
        },
    }
    text = _render(hooks, monkeypatch, tmp_path, "callbacks", record)
    assert "Part cost: not yet recorded" in text
    quality = text.split("| set |", 1)[1]
    assert _rows("| set |" + quality) == [
        ["BasicMotions", "0.0031, 0.002, 0.0041", "2.2e-02", "8.21", "0.78"]
        + ["7.00, 8.50, 9.25"]
    ]
    assert "3-point grid 1e-05 to 1e-01" in text and "seeds 0, 1, 2" in text


def test_augmentation_speed_and_harm_tables(hooks, monkeypatch, tmp_path):
    speed = {
        "SequenceAugmentation": [0.3, 0.28, 0.29],
        "stock Keras layers on flattened frames": [0.7, 0.8, 0.77],
        "one elementwise pass": [0.05, 0.04, 0.045],
        "per-frame ImageDataGenerator loop": [0.9],
    }
    record = {
        "speed": {
            **PROVENANCE,
            "shape": [16, 16, 112, 112, 3],
            "repeats": 3,
            "seconds": speed,
        },
        "harm": {
            **PROVENANCE,
            "epochs": 30,
            "seeds": [0, 1],
            "batch_size": 32,
            "results": {
                "none": [{"loss": 0.1, "accuracy": 0.9}, {"loss": 0.2, "accuracy": 1}],
                "TimeDistributed (per frame)": [
                    {"loss": 0.5, "accuracy": 0.75},
                    {"loss": 0.75, "accuracy": 0.8},
                ],
            },
        },
    }
    text = _render(hooks, monkeypatch, tmp_path, "augmentation", record)
    speed_table, harm = text.split("| augmentation |", 1)
    assert [row[1:] for row in _rows(speed_table)] == [
        ["290 ms", "1.00"],
        ["770 ms", "ours 0.38x (target <= 0.6x)"],
        ["900 ms", "ours 3.1x faster (target >= 2x)"],
        ["45 ms", "ours 6.4x"],
    ]
    assert _rows("| augmentation |" + harm) == [
        ["none", "0.150", "0.950"],
        ["TimeDistributed (per frame)", "0.625", "0.775"],
    ]
    assert "mean over seeds 0, 1" in text and _names_the_run(text, "augmentation")


def test_augmentation_without_harm_says_it_is_not_recorded(
    hooks, monkeypatch, tmp_path
):
    record = {"harm": {**PROVENANCE, "epochs": 1, "seeds": [0], "batch_size": 32}}
    record["harm"]["results"] = {"none": [{"loss": 0.5, "accuracy": 0.5}]}
    text = _render(hooks, monkeypatch, tmp_path, "augmentation", record)
    assert "Speed: not yet recorded" in text
    assert "`python benchmarks/augmentation.py speed` writes it" in text


def _recipe_runs(accs, epochs, cpus, max_epochs, recall=None):
    rows = []
    for acc, epoch, cpu in zip(accs, epochs, cpus, strict=True):
        row = {"acc": acc, "loss": 0.5, "epochs": epoch, "max_epochs": max_epochs}
        row.update(cpu=cpu, seconds=cpu)
        if recall is not None:
            row["spam_recall"] = recall
        rows.append(row)
    return rows


def _recipe_entry(plain, recipe, seeds=(0, 1, 2), **extra):
    import statistics

    runs = {"plain": plain, "recipe": recipe}
    medians = {
        kind: {k: statistics.median(r[k] for r in rows) for k in rows[0]}
        for kind, rows in runs.items()
    }
    return {
        **PROVENANCE,
        **extra,
        "seeds": list(seeds),
        "runs": runs,
        "medians": medians,
    }


def test_recipe_table_has_medians_spans_and_published_figures(
    hooks, monkeypatch, tmp_path
):
    record = {
        "GunPoint": _recipe_entry(
            _recipe_runs([0.7, 0.8, 0.9], [50] * 3, [5, 6, 7], 50),
            _recipe_runs([1.0, 0.99, 1.0], [189, 226, 200], [53.2, 66.4, 60], 625),
        ),
        "sms_spam": _recipe_entry(
            _recipe_runs([0.877], [10], [20], 10, recall=0.0),
            _recipe_runs([0.98], [12], [94], 100, recall=0.9),
            seeds=[0],
            date="2026-12-04",
        ),
    }
    text = _render(hooks, monkeypatch, tmp_path, "recipe", record)
    assert _rows(text) == [
        ["GunPoint", "0.800", "1.000", "189-226 / 625", "53-66"]
        + ["1.000 / 1.000 / 1.000"],  # benchmarks/recipe.py PUBLISHED
        ["SMS spam (spam recall)", "0.877 (0.000)", "0.980 (0.900)", "12 / 100", "94"]
        + ["-"],
    ]
    # Each set's own run is named: two dates, two captions.
    assert "*GunPoint: test accuracy, medians over seeds 0, 1, 2" in text
    assert "*sms_spam: test accuracy, seed 0;" in text
    assert "run of 2026-12-04" in text and _names_the_run(text, "recipe")


# A measured figure in a table cell: 0.37x, 1.3%, 287 ms, 94 s, 0.851.
FIGURE = re.compile(r"\d(?:\.\d+)?\s*(?:%|x\b|ms\b|s\b)|\d\.\d{2,}")
SEPARATOR = re.compile(r"^\|(\s*:?-+:?\s*\|)+\s*$")


def _hand_typed_sections(text):
    """Titles of the `## ` sections of `text` that hold a table of figures and no
    results marker: figures typed by hand."""
    for section in re.split(r"\n(?=## )", text):
        if not section.startswith("## ") or MARKER.search(section):
            continue
        lines = section.splitlines()
        body = [
            line
            for i, line in enumerate(lines)
            if line.startswith("|")
            and not SEPARATOR.match(line)
            and not (i + 1 < len(lines) and SEPARATOR.match(lines[i + 1]))
        ]
        cells = [c for line in body for c in line.strip("|").split("|")]
        if any(FIGURE.search(c) for c in cells):
            yield lines[0]


def test_the_hand_typed_check_finds_a_table_of_figures_without_a_marker():
    page = (
        "# Benchmarks\n\n| section | script |\n|---|---|\n| a 0.37x | b |\n\n"
        "## Typed\n\n| measure | result |\n|---|---:|\n| speed | 0.37x |\n\n"
        "## Rendered\n\n<!-- results:rocket -->\n\n| a | 1.3% |\n|---|---|\n\n"
        "## Words only\n\n| 1.5 s | header |\n|---|---|\n| GunPoint | two |\n"
    )
    assert list(_hand_typed_sections(page)) == ["## Typed"]


def test_every_benchmarks_section_with_a_table_of_figures_renders_it():
    page = (ROOT / "docs" / "benchmarks.md").read_text()
    typed = list(_hand_typed_sections(page))
    assert not typed, (
        f"docs/benchmarks.md sections {typed} hold a table of figures typed by "
        "hand: have the benchmark write benchmarks/results/NAME.json (--output) "
        "and put `<!-- results:NAME -->` there (docs/hooks.py renders it)"
    )


# The guide pages that used to quote the benchmark figures by hand; each now renders
# a results table or links to Benchmarks.
GUIDES = (
    "augmentation.md",
    "imbalance.md",
    "callbacks.md",
    "migration.md",
    "models.md",
    "tuning.md",
)
BENCHMARKS = (
    "augmentation",
    "imbalance",
    "callbacks",
    "recipe",
    "import_time",
    "rocket",
)
# 1.47x, 559 ms, 2.67 s, 1.23%: a ratio, a time or a share, as the renderers print
# them; and an accuracy or a loss, 0.817 (three decimals: a setting such as
# `rotation=0.04` or a rocket time of 0.04 s is too common to tell apart).
MEASURE = re.compile(r"(?<![\d.\w])(?:\d+(?:\.\d+)?(?:x\b| ms\b|%)|\d+\.\d+ s\b)")
DECIMAL = re.compile(r"(?<![\d.\w])\d+\.\d{3,}(?!\d|\.\d)")


TARGET = re.compile(r"(?:<=|>=) \d+(?:\.\d+)?(?:x|%)?")  # <= 1.2x, >= 0.97


def _figures(text):
    """The measured figures in `text`: 0.817, 1.47x, 559 ms, 2.67 s, 1.23%, not the
    targets (<= 1.2x)."""
    text = TARGET.sub("", text)
    measures = set(MEASURE.findall(text))
    return (set(DECIMAL.findall(MEASURE.sub("", text))) | measures) - TRIVIAL


def _restated(page_text, rendered_figures):
    """The figures of the rendered tables that `page_text` types outside its
    markers and code blocks."""
    prose = re.sub(r"```.*?```", "", MARKER.sub("", page_text), flags=re.S)
    return _figures(prose) & rendered_figures


def test_the_restated_check_finds_a_typed_figure():
    rendered = _figures("| a | 1.47x (2.67 s / 1.81 s) | <= 1.2x |\n| b | 559 ms |")
    rendered |= _figures("| c | 0.817 | 0.04 |")
    assert rendered == {"1.47x", "2.67 s", "1.81 s", "559 ms", "0.817"}
    page = "It takes 1.47x (target <= 1.2x).\n\n<!-- results:imbalance -->\n"
    assert _restated(page, rendered) == {"1.47x"}
    assert _restated("One epoch: 2.67 s.", rendered) == {"2.67 s"}
    assert _restated("ArrowHead reaches 0.817.", rendered) == {"0.817"}
    assert not _restated("Within 1.2x, in 12 epochs, rotation 0.04.", rendered)
    assert not _restated("```text\n559 ms\n```\n", rendered)


@pytest.mark.parametrize("page", GUIDES)
def test_guide_pages_do_not_restate_the_rendered_figures(hooks, page):
    rendered = set().union(
        *(_figures(hooks.render(f"<!-- results:{name} -->")) for name in BENCHMARKS)
    )
    typed = _restated((ROOT / "docs" / page).read_text(), rendered)
    assert not typed, (
        f"docs/{page} types {sorted(typed)}, figures of benchmarks/results/*.json: "
        "render the table (`<!-- results:NAME -->`) or say it in words and link to "
        "Benchmarks"
    )


@pytest.mark.parametrize("page", GUIDES)
def test_guide_pages_hold_no_table_of_figures_typed_by_hand(page):
    typed = list(_hand_typed_sections((ROOT / "docs" / page).read_text()))
    assert not typed, (
        f"docs/{page} sections {typed} hold a table of figures typed by hand: "
        "render it from benchmarks/results/NAME.json or say it in words"
    )


def test_tuning_table_has_every_arm_of_every_run_in_the_results_file(hooks):
    record = json.loads((ROOT / "benchmarks" / "results" / "tuning.json").read_text())
    text = hooks.render("<!-- results:tuning -->")
    rows = _rows(text)
    assert len(rows) == sum(len(entry["arms"]) for entry in record.values())
    # One row per arm, entries in key order (kind/set/trials), arms as filed.
    expected = [
        (entry, arm, found)
        for _, entry in sorted(record.items())
        for arm, found in entry["arms"].items()
    ]
    for row, (entry, arm, found) in zip(rows, expected, strict=True):
        base = entry["arms"]["defaults"]["cpu_s"]
        assert row[:2] == [entry["kind"], entry["dataset"]]
        assert row[2].startswith(f"`{arm}`")
        if arm != "defaults":
            assert row[3] == f"{found['trials']} / {entry['trials']}"
        assert float(row[4]) == pytest.approx(found["test_accuracy"], abs=5e-4)
        assert float(row[6]) == pytest.approx(found["cpu_s"], abs=0.05)
        ratio = found["cpu_s"] / base
        assert float(row[7].removesuffix("x")) == pytest.approx(ratio, abs=0.05)
        assert entry["commit"] in text and entry["date"] in text
