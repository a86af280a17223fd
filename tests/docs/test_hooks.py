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
        match="results:nope.*known: bad_inputs, demo, diagnose_generated, diagnose_own, diagnose_public, label_noise, lr_rules, rocket",
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
    assert {name for _, name, _ in found} >= {"rocket", "demo"}
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
