"""Each measured figure has one home, so pages cannot disagree about it.

Benchmarks holds the cost of the callbacks and the seconds of `diagnose`; the guides
link there. A tutorial's prose quotes the run it pastes, not another one.
"""

import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"


def section(page, heading):
    """The text of `page` from `heading` to the next heading of the same level."""
    text = (DOCS / page).read_text()
    level = heading.split(" ", 1)[0]
    after = text.split(f"\n{heading}\n", 1)[1]
    return re.split(rf"\n{level} ", after, maxsplit=1)[0]


RATIO = re.compile(r"\b\d+(?:\.\d+)?x\b")  # 1.02x, 0.95x


def test_callback_costs_are_only_on_the_benchmarks_page():
    guide = section("callbacks.md", "## Cost and quality").split("### ")[0]
    assert not RATIO.findall(guide), guide
    assert "benchmarks.md#callbacks-" in guide
    bench = section(
        "benchmarks.md",
        "## Callbacks: cost of `find_lr` and `GradientNormMonitor`, quality of the "
        "suggestion",
    )
    assert "`find_lr`" in bench and "`GradientNormMonitor()`" in bench
    assert len(RATIO.findall(bench)) >= 2


def test_diagnosis_results_are_only_on_the_benchmarks_page():
    guide = section("diagnosis.md", "## How well it works")
    # No seconds, counts or rates: only what the benchmark does (17 codes) and a link.
    assert set(re.findall(r"\d+(?:\.\d+)?", guide)) <= {"17"}, guide
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
