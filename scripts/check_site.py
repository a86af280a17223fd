"""Build the docs and read the built site as a reader's browser would, statically.

    python scripts/check_site.py              # mkdocs build into a temporary folder
    python scripts/check_site.py --site site  # check an existing build

Reports, for every HTML page of the site:

* broken images: an `<img src>` that is not a file of the site (or is remote: the
  site must work offline);
* broken links: an internal `href` whose file is missing, or whose `#anchor` is no
  `id` on the target page;
* wide code blocks: a line of a `<pre>` block longer than `--columns` (88) characters.
  At 1280 px the theme shows about 88 columns of code; extra.css wraps longer lines
  rather than scrolling them sideways, so they read as broken lines.

No headless browser: Chromium is not installed on the machines this runs on (and
playwright is not a dependency), so the checks read the HTML with the standard
library's parser instead of rendering it; what only a layout engine measures (the
width of a table) is not checked. Exit code 1 when an image or link is broken, 0
otherwise (wide code lines are reported, not failed, unless `--strict`).
"""

import argparse
import html.parser
import pathlib
import subprocess
import sys
import tempfile
import urllib.parse

ROOT = pathlib.Path(__file__).resolve().parents[1]


class _Page(html.parser.HTMLParser):
    """The ids, links, images and code-block lines of one HTML page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids, self.links, self.images, self.blocks = set(), [], [], []
        self._pre = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        if tag == "img" and "src" in attrs:
            self.images.append(attrs["src"])
        if tag == "pre":
            self._pre += 1
            self.blocks.append("")

    def handle_endtag(self, tag):
        if tag == "pre":
            self._pre -= 1

    def handle_data(self, data):
        if self._pre:
            self.blocks[-1] += data


def _target(page, url, site):
    """The site file `url` (relative to `page`) points at, and its anchor."""
    parts = urllib.parse.urlsplit(url)
    path = urllib.parse.unquote(parts.path)
    if not path:
        file = page
    else:
        file = (page.parent / path).resolve()
        if file.is_dir() or path.endswith("/"):
            file = file / "index.html"
    return file, parts.fragment


def check(site, columns=88):
    """`{"images": [...], "links": [...], "wide": [...]}`: the problems, as text."""
    site = pathlib.Path(site).resolve()
    pages = {}
    for path in sorted(site.rglob("*.html")):
        parser = _Page()
        parser.feed(path.read_text(encoding="utf-8"))
        pages[path] = parser
    problems = {"images": [], "links": [], "wide": []}
    for path, page in pages.items():
        where = path.relative_to(site)
        if where.name == "404.html":  # absolute links from site_url by design
            continue
        for src in page.images:
            if urllib.parse.urlsplit(src).scheme:
                problems["images"].append(f"{where}: remote image {src}")
                continue
            file, _ = _target(path, src, site)
            if not file.is_file():
                problems["images"].append(f"{where}: missing image {src}")
        for href in page.links:
            parts = urllib.parse.urlsplit(href)
            if parts.scheme or href.startswith(("mailto:", "//")):
                continue
            file, anchor = _target(path, href, site)
            if not file.is_file():
                problems["links"].append(f"{where}: link to a missing page {href}")
            elif anchor and file in pages and anchor not in pages[file].ids:
                problems["links"].append(f"{where}: link to a missing anchor {href}")
        for block in page.blocks:
            for line in block.splitlines():
                if len(line) > columns:
                    problems["wide"].append(
                        f"{where}: {len(line)} columns: {line.strip()[:60]}..."
                    )
    return problems


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", help="a built site; default: build one now")
    parser.add_argument("--columns", type=int, default=88)
    parser.add_argument("--strict", action="store_true", help="fail on wide lines")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        site = args.site
        if site is None:
            site = tmp
            subprocess.run(
                [sys.executable, "-m", "mkdocs", "build", "-q", "-d", tmp],
                cwd=ROOT,
                check=True,
            )
        problems = check(site, args.columns)
    for kind, found in problems.items():
        print(f"{kind}: {len(found)}")
        for line in found:
            print(f"  {line}")
    failed = problems["images"] or problems["links"]
    return 1 if failed or (args.strict and problems["wide"]) else 0


if __name__ == "__main__":
    sys.exit(main())
