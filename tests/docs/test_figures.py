"""Each measured figure has one home, so pages cannot disagree about it.

Benchmarks holds the cost of the callbacks and the seconds of `diagnose`; the guides
link there. A tutorial's prose quotes the run it pastes, not another one.
"""

import importlib.util
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"


def section(page, heading):
    """The text of `page` from `heading` to the next heading of the same level."""
    text = (DOCS / page).read_text()
    level = heading.split(" ", 1)[0]
    after = text.split(f"\n{heading}\n", 1)[1]
    return re.split(rf"\n{level} ", after, maxsplit=1)[0]


RATIO = re.compile(r"\b\d+(?:\.\d+)?x\b")  # 1.02x, 0.95x


def _hooks():
    spec = importlib.util.spec_from_file_location(
        "docs_hooks", ROOT / "docs" / "hooks.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_callback_costs_are_only_on_the_benchmarks_page():
    guide = section("callbacks.md", "## Cost and quality")
    assert "<!-- results:" not in guide  # linked, not rendered a second time
    guide = guide.split("### ")[0]
    assert not RATIO.findall(guide), guide
    assert "benchmarks.md#callbacks-" in guide
    bench = section(
        "benchmarks.md",
        "## Callbacks: cost of `find_lr` and `GradientNormMonitor`, quality of the "
        "suggestion",
    )
    # The measured ratios are rendered from benchmarks/results/callbacks.json; the
    # section's own text names only the targets (1.3x, 1.1x).
    assert "<!-- results:callbacks -->" in bench
    rendered = _hooks().render(bench)
    assert "`find_lr`" in rendered and "`GradientNormMonitor()`" in rendered
    assert len(RATIO.findall(rendered)) >= len(RATIO.findall(bench)) + 2
    assert "benchmarks/results/callbacks.json" in rendered


def test_diagnosis_figures_come_from_results_files():
    guide = section("diagnosis.md", "## How well it works")
    # The generated and public-question tables are rendered from their results
    # files; the prose around them states no seconds, counts or rates (seed
    # numbers aside), and the hand-written cases are on the Benchmarks page.
    assert "<!-- results:diagnose_generated -->" in guide
    assert "<!-- results:diagnose_public -->" in guide
    prose = re.sub(r"```.*?```", "", guide, flags=re.S)
    prose = re.sub(r"(?i)\bseeds? \d+", "seed", prose)
    assert set(re.findall(r"\d+(?:\.\d+)?", prose)) <= {"1"}, prose  # Conv1D
    assert "benchmarks.md#diagnosis-does-diagnose-name-the-injected-cause" in guide


def test_time_series_prose_quotes_the_pasted_run():
    text = (DOCS / "tutorials" / "time_series.md").read_text()
    row = re.search(
        r"^plain LSTM\(64\) \+ Dense\s+(\d+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)$",
        text,
        re.M,
    )
    assert row, "the results table has no plain row"
    epochs, train_loss, test_loss, accuracy = row.groups()
    assert f"ends at\n{accuracy}" in text or f"ends at {accuracy}" in text
    assert f"(accuracy {accuracy})" in text
    assert f"ended at {train_loss} on the training and {test_loss}" in text


IMAGE = re.compile(r"!\[[^\]]*\]\((?:\.\./)*img/([^)\s]+\.png)\)")


def images(page):
    return IMAGE.findall((DOCS / page).read_text())


def test_the_pages_opened_first_have_pictures():
    for page in ("index.md", "loss_high.md", "diagnosis.md", "benchmarks.md"):
        assert images(page), f"{page} shows no figure"


def test_every_referenced_image_exists_and_is_small():
    for page in DOCS.rglob("*.md"):
        for name in images(page.relative_to(DOCS)):
            path = DOCS / "img" / name
            assert path.is_file(), f"{page.relative_to(DOCS)}: img/{name} is missing"
    for name in ("loss_", "bench_", "demo_", "diagnosis_report"):
        for path in (DOCS / "img").glob(f"{name}*.png"):
            assert path.stat().st_size < 80_000, f"{path.name} is not small"


def test_a_loss_curve_for_each_symptom_under_its_heading():
    spec = importlib.util.spec_from_file_location(
        "make_doc_figures", ROOT / "scripts" / "make_doc_figures.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    codes = [code for code, _, _ in module.SYMPTOMS]
    assert {"lr_too_high", "lr_too_low", "overfitting", "no_signal"} <= set(codes)
    text = (DOCS / "loss_high.md").read_text()
    for code in codes:
        assert f"img/loss_{code}.png" in text
        # The picture sits in a section whose table names the same cause code.
        section_text = text.split(f"img/loss_{code}.png", 1)[1].split("\n## ", 1)[0]
        assert f"`{code}`" in section_text, code


def test_the_benchmark_chart_is_drawn_from_the_results_file(tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    spec = importlib.util.spec_from_file_location(
        "make_doc_figures", ROOT / "scripts" / "make_doc_figures.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "IMG", tmp_path)
    module.bench()
    drawn = (tmp_path / "bench_rocket_accuracy.png").read_bytes()
    committed = (DOCS / "img" / "bench_rocket_accuracy.png").read_bytes()
    assert drawn == committed, "rerun `python scripts/make_doc_figures.py bench`"


def test_code_blocks_on_the_first_pages_fit_88_columns():
    # At 1280 px the theme shows about 88 columns of code; longer lines wrap.
    pages = [
        "index.md",
        "loss_high.md",
        "models.md",
        "benchmarks.md",
        "installation.md",
    ]
    for page in pages:
        inside = False
        for number, line in enumerate((DOCS / page).read_text().splitlines(), 1):
            if line.startswith("```"):
                inside = not inside
            elif inside:
                assert len(line) <= 88, f"{page}:{number} is {len(line)} columns"
