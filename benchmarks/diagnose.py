"""Fault benchmark of `diagnose`: does it name the injected cause of a high loss?

Run: python benchmarks/diagnose.py [--quick | --public] [--cases NAME,NAME] [--json PATH]

Each case takes real shipped data (UCR sets, SMS spam as token ids, moving digits)
and a model that is well configured for it, and injects one fault (cases in
`diagnose_faults.py`, one or more for every cause code); healthy controls inject
none (`diagnose_cases.py`). For every case the script runs `ksf.diagnose` with its
defaults and prints the top-ranked codes, the rank of the expected code and the
seconds `diagnose` took (building the case, e.g. training a model for its history,
is not counted), in wall-clock and in CPU seconds of all threads (the CPU time
does not grow when other processes share the machine). Summary: top-1 and top-3 accuracy over the fault cases, false
alarms on the healthy controls (a finding above "low" severity) and the median and
largest seconds per case. Targets: top-1 >= 90%, top-3 100%, no false alarm, <= 60 s
per case on 2 CPU cores. `--json` writes every case's result and the summary.
"""

import argparse
import json
import os
import statistics
import sys
import time
import traceback
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import diagnose_faults  # noqa: E402, F401  (registers the fault cases)
import diagnose_public  # noqa: E402, F401  (public_ cases, run with --public)
import keras  # noqa: E402
from diagnose_cases import CASES  # noqa: E402

import keras_seqfix as ksf  # noqa: E402


def run_case(name, seed, spec=None):
    """Build case `name` (from CASES, or `spec`), run `diagnose`, score its ranking."""
    spec = CASES[name] if spec is None else spec
    keras.backend.clear_session()
    keras.utils.set_random_seed(seed)
    start = time.perf_counter()
    model, x, y, kwargs = spec["fn"]()
    build_s = time.perf_counter() - start
    start, cpu_start = time.perf_counter(), time.process_time()
    report = ksf.diagnose(model, x, y, seed=seed, verbose=0, **kwargs)
    seconds = time.perf_counter() - start
    cpu_seconds = time.process_time() - cpu_start
    codes = report.codes
    expected = spec["expected"]
    problems = [f"{f.code}:{f.severity}:{f.score:.2f}" for f in report.problems]
    result = {
        "case": name,
        "expected": expected,
        "samples": int(len(x)),
        "codes": codes,
        "findings": [
            {"code": f.code, "severity": f.severity, "score": f.score, "title": f.title}
            for f in report.findings
        ],
        "problems": problems,
        "healthy": report.healthy,
        "seconds": round(seconds, 1),
        "cpu_seconds": round(cpu_seconds, 1),
        "build_seconds": round(build_s, 1),
        "notes": report.notes,
        "measurements": report.to_dict()["measurements"],
    }
    if expected is None:
        result["ok"] = report.healthy
    else:
        result["rank"] = codes.index(expected) + 1 if expected in codes else None
        result["top1"] = result["rank"] == 1
        result["top3"] = result["rank"] is not None and result["rank"] <= 3
        result["ok"] = result["top1"]
    return result


def summarize(results):
    """Counts and times over `results`; void cases (a fault that did not show)
    are counted apart and scored neither way."""
    void = [r for r in results if "void" in r]
    results = [r for r in results if "void" not in r]
    faults = [r for r in results if r["expected"] is not None]
    controls = [r for r in results if r["expected"] is None]
    seconds = [r["seconds"] for r in results if "seconds" in r]
    cpu = [r["cpu_seconds"] for r in results if "cpu_seconds" in r]
    summary = {
        "fault_cases": len(faults),
        "healthy_controls": len(controls),
        "top1": sum(bool(r.get("top1")) for r in faults) / max(len(faults), 1),
        "top3": sum(bool(r.get("top3")) for r in faults) / max(len(faults), 1),
        "false_alarms": sum(not r.get("healthy", False) for r in controls),
        "errors": sum("error" in r for r in results),
        "void": len(void),
        "median_seconds": statistics.median(seconds) if seconds else None,
        "max_seconds": max(seconds) if seconds else None,
        "median_cpu_seconds": statistics.median(cpu) if cpu else None,
        "max_cpu_seconds": max(cpu) if cpu else None,
        "codes_covered": sorted({r["expected"] for r in faults}),
    }
    missing = sorted(set(ksf.diagnosis.CAUSE_CODES) - set(summary["codes_covered"]))
    summary["codes_without_case"] = missing
    return summary


def _write_json(path, results):
    from _provenance import provenance

    Path(path).parent.mkdir(parents=True, exist_ok=True)
    data = {**provenance(), "summary": summarize(results), "cases": results}
    Path(path).write_text(json.dumps(data, indent=2))


def _interleaved(names):
    """One fault case per code first, then the healthy controls, then the rest, so
    that an interrupted run has covered every code."""
    first, seen = [], set()
    for name in names:
        expected = CASES[name]["expected"]
        if expected is not None and expected not in seen:
            seen.add(expected)
            first.append(name)
    healthy = [n for n in names if CASES[n]["expected"] is None]
    return first + healthy + [n for n in names if n not in first and n not in healthy]


def print_row(r):
    if "void" in r:
        print(f"{r['case']:<40} {r['expected'] or 'healthy':<28} VOID {r['void']}")
        return
    if "error" in r:
        print(f"{r['case']:<40} {r['expected'] or 'healthy':<28} ERROR {r['error']}")
        return
    top = ", ".join(r["codes"][:3]) or "(none)"
    if r["expected"] is None:
        verdict = "ok" if r["ok"] else "FALSE ALARM " + " ".join(r["problems"])
        rank = "-"
    else:
        verdict = "ok" if r["top1"] else ("top-3" if r["top3"] else "MISS")
        rank = str(r["rank"] or "-")
    print(
        f"{r['case']:<40} {r['expected'] or 'healthy':<28} {rank:>4} "
        f"{r['seconds']:>6.1f} {r['cpu_seconds']:>6.1f}  {verdict:<12} {top}",
        flush=True,
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few cases (smoke test)")
    parser.add_argument("--cases", help="comma-separated case names (see --list)")
    parser.add_argument("--list", action="store_true", help="list the cases and exit")
    parser.add_argument("--json", help="write the results as JSON to this path")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--public",
        action="store_true",
        help="only the cases reproduced from public questions (diagnose_public.py)",
    )
    args = parser.parse_args(argv)
    if args.list:
        for name, spec in CASES.items():
            print(f"{name:<40} {spec['expected'] or 'healthy'}")
        return 0
    public = [n for n in CASES if n.startswith("public_")]
    names = public if args.public else [n for n in CASES if n not in public]
    if args.cases:
        names = [n.strip() for n in args.cases.split(",") if n.strip()]
        unknown = [n for n in names if n not in CASES]
        if unknown:
            parser.error(f"unknown cases {unknown}; see --list")
    elif args.quick:
        names = [n for n in names if CASES[n]["quick"]]
    if not args.cases:
        names = _interleaved(names)
    print(
        f"{'case':<40} {'expected':<28} {'rank':>4} {'wall s':>6} {'cpu s':>6}  "
        f"{'verdict':<12} top-3"
    )
    results = []
    for name in names:
        try:
            result = run_case(name, args.seed)
        except Exception as exc:  # a broken case is reported, the run goes on
            traceback.print_exc()
            result = {
                "case": name,
                "expected": CASES[name]["expected"],
                "ok": False,
                "error": f"{type(exc).__name__}: {exc}"[:200],
            }
        results.append(result)
        print_row(result)
        if args.json:  # written after every case, so a long run can be read early
            _write_json(args.json, results)
    s = summarize(results)
    print()
    print(
        f"fault cases: {s['fault_cases']}  top-1 {s['top1']:.0%} (target >= 90%)  "
        f"top-3 {s['top3']:.0%} (target 100%)"
    )
    print(
        f"healthy controls: {s['healthy_controls']}  false alarms above 'low': "
        f"{s['false_alarms']} (target 0)  errors: {s['errors']}"
    )
    if s["median_seconds"] is not None:
        print(
            f"seconds per case (diagnose only): median {s['median_seconds']:.1f}, "
            f"max {s['max_seconds']:.1f} (target <= 60 on 2 CPU cores); CPU seconds "
            f"(all threads) median {s['median_cpu_seconds']:.1f}, max "
            f"{s['max_cpu_seconds']:.1f}"
        )
    if s["codes_without_case"]:
        print(f"codes without a case in this run: {', '.join(s['codes_without_case'])}")
    if args.json:
        _write_json(args.json, results)
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
