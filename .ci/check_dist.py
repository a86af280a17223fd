"""Check the built sdist and wheel: list them, fail if a shipped data file is missing.

Usage: `python .ci/check_dist.py DIST_DIR` from the repository root, after
`python -m build --outdir DIST_DIR`. The expected data files are those in the
checkout's `keras_seqfix/datasets/data/`; each must be in the wheel (under
`keras_seqfix/datasets/data/`) and in the sdist, with the same size.
"""

import sys
import tarfile
import zipfile
from pathlib import Path

DATA = "keras_seqfix/datasets/data"


def _one(dist, pattern):
    found = sorted(dist.glob(pattern))
    if len(found) != 1:
        sys.exit(f"expected one {pattern} in {dist}, found {[p.name for p in found]}")
    return found[0]


def main(dist):
    dist = Path(dist)
    expected = {p.name: p.stat().st_size for p in Path(DATA).iterdir() if p.is_file()}
    if not expected:
        sys.exit(f"no data files in {DATA}: run from the repository root")
    wheel, sdist = _one(dist, "*.whl"), _one(dist, "*.tar.gz")
    with zipfile.ZipFile(wheel) as archive:
        in_wheel = {i.filename: i.file_size for i in archive.infolist()}
    with tarfile.open(sdist) as archive:
        # Drop the archive's top folder (keras_seqfix-<version>/).
        in_sdist = {
            m.name.split("/", 1)[1]: m.size
            for m in archive.getmembers()
            if m.isfile() and "/" in m.name
        }
    problems = []
    for label, archive, contents in (
        ("wheel", wheel, in_wheel),
        ("sdist", sdist, in_sdist),
    ):
        modules = sum(name.endswith(".py") for name in contents)
        print(f"{archive.name}: {len(contents)} files, {modules} Python modules")
        for name, size in sorted(expected.items()):
            got = contents.get(f"{DATA}/{name}")
            print(f"  {DATA}/{name}: {'MISSING' if got is None else f'{got} bytes'}")
            if got != size:
                found = "missing" if got is None else f"{got} bytes"
                problems.append(f"{label}: {DATA}/{name} is {found}, expected {size}")
    if "keras_seqfix/cli.py" not in in_wheel:
        problems.append("wheel: keras_seqfix/cli.py is missing")
    if problems:
        sys.exit("package contents check failed:\n  " + "\n  ".join(problems))
    print(f"all {len(expected)} data files are in the wheel and the sdist")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
