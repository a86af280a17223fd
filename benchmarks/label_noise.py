"""Does `diagnose` find flipped labels, and stay quiet on clean ones?

    python benchmarks/label_noise.py [--rates 0,0.1,0.2,0.3] [--seeds 0,1]
        [--output benchmarks/results/label_noise.json]

For each set, rate and seed, a share `rate` of the training labels is flipped to
another class at random, and the reference of `diagnose` (MiniRocket or TF-IDF
features with ridge) plus the `noisy_labels` check run on it, exactly as inside
`diagnose`. Printed per case: the reference's leave-one-out balanced accuracy, the
share of samples confident learning flags, its precision and recall against the
flipped samples, the finding (severity and score, or none) and the seconds.

The sets have two roles. The thresholds of `noisy_labels` were set on the
CALIBRATION sets only; the HELD_OUT sets were not looked at while setting them, and
the held-out rows are the ones to quote.
"""

import argparse
import json
import time

import numpy as np

CALIBRATION = ("GunPoint", "ItalyPowerDemand", "sms_spam")
HELD_OUT = ("ArrowHead", "BasicMotions", "JapaneseVowels")


def _load(name):
    import keras_seqfix as ksf

    if name != "sms_spam":
        return ksf.datasets.load_ucr(name)[0]
    import keras

    (texts, y), _ = ksf.datasets.load_sms_spam()
    vectorize = keras.layers.TextVectorization(
        max_tokens=5000, output_sequence_length=40
    )
    vectorize.adapt(texts)
    return np.asarray(vectorize(texts)).astype("int64"), y


def _flip(y, rate, seed):
    rng = np.random.default_rng(seed)
    k = len(np.unique(y))
    flipped = rng.random(len(y)) < rate
    noisy = y.copy()
    noisy[flipped] = (noisy[flipped] + rng.integers(1, k, flipped.sum())) % k
    return noisy, flipped


def run_case(x, y, rate, seed):
    from keras_seqfix._labels import label_info
    from keras_seqfix.diagnosis import _reference_checks
    from keras_seqfix.diagnosis._inputs import Context
    from keras_seqfix.diagnosis._reference import fit_reference

    noisy, flipped = _flip(np.asarray(y), rate, seed)
    ctx = Context(None, x, noisy, label_info(noisy), None, seed=seed)
    start = time.process_time()
    reference = fit_reference(ctx, max_samples=2000)
    findings = _reference_checks.noisy_labels(ctx, reference)
    seconds = time.process_time() - start
    # None: the check did not run (the reference was too close to chance).
    flagged_fraction = ctx.measurements.get("label_issue_fraction")
    listed = []
    if findings:
        listed = [
            int(i) for i in findings[0].evidence["most_likely_mislabelled"].split(",")
        ]
    return {
        "rate": rate,
        "seed": seed,
        "samples": len(noisy),
        "flipped": int(flipped.sum()),
        "reference_bacc": round(reference["balanced_accuracy"], 4),
        "flagged_fraction": flagged_fraction,
        "listed_precision": round(float(np.mean(flipped[listed])), 4)
        if listed
        else None,
        "finding": None
        if not findings
        else f"{findings[0].severity} {findings[0].score:.2f}",
        "cpu_s": round(seconds, 2),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", default="0,0.1,0.2,0.3")
    parser.add_argument("--seeds", default="0,1")
    parser.add_argument("--sets", default=",".join(CALIBRATION + HELD_OUT))
    parser.add_argument("--output", help="write the cases as JSON here")
    args = parser.parse_args(argv)
    rates = [float(r) for r in args.rates.split(",")]
    seeds = [int(s) for s in args.seeds.split(",")]
    cases = []
    print("| set | role | rate | seed | ref bacc | flagged | precision | finding | s |")
    print("|---|---|---:|---:|---:|---:|---:|---|---:|")
    for name in args.sets.split(","):
        x, y = _load(name)
        role = "calibration" if name in CALIBRATION else "held out"
        for rate in rates:
            for seed in seeds:
                case = dict(set=name, role=role, **run_case(x, y, rate, seed))
                flagged_fraction = case["flagged_fraction"]
                cases.append(case)
                print(
                    f"| {name} | {role} | {rate:.1f} | {seed} | "
                    f"{case['reference_bacc']:.3f} | "
                    f"{'-' if flagged_fraction is None else format(flagged_fraction, '.3f')} | "
                    f"{case['listed_precision'] if case['listed_precision'] is not None else '-'} | "
                    f"{case['finding'] or 'none'} | {case['cpu_s']:.1f} |",
                    flush=True,
                )
    if args.output:
        from _provenance import provenance

        record = {"cases": cases, **provenance()}
        with open(args.output, "w") as f:
            json.dump(record, f, indent=1)
        print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
