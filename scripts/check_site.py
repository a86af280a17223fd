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
  rather than scrolling them sideways, so they read as broken lines;
* untyped parameters: a row of an API table (Parameters, Attributes, Returns, ...)
  with a Type column whose type cell is empty, i.e. a documented argument without
  `name (type): ...` in its docstring. The summary line counts the tables that have
  such a row;
* duplicate headings: an API object shown twice on one page, by the same title
  twice, or as a module and, under it, the function of the same name
  (`keras_seqfix.models.fit_recipe` and `keras_seqfix.models.fit_recipe.fit_recipe`).

No headless browser: Chromium is not installed on the machines this runs on (and
playwright is not a dependency), so the checks read the HTML with the standard
library's parser instead of rendering it; what only a layout engine measures (the
width of a table) is not checked. Exit code 1 when an image or link is broken, a
parameter has no type or a heading is shown twice, 0 otherwise (wide code lines are
reported, not failed, unless `--strict`).
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
    """The ids, links, images, code-block lines, tables and API headings of a page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids, self.links, self.images, self.blocks = set(), [], [], []
        # tables: {"heading", "section", "header": [...], "rows": [[...], ...]};
        # headings: (id, title) of each mkdocstrings object heading.
        self.tables, self.headings = [], []
        self._pre = 0
        self._cell = None  # text of the table cell being read
        self._heading = None  # [id, title] of the object heading being read
        self._section = False  # inside a "Parameters:"-style section title
        self._last = {"heading": "", "section": ""}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        classes = (attrs.get("class") or "").split()
        if tag in ("h2", "h3", "h4", "h5") and "doc-heading" in classes:
            self._heading = [attrs.get("id", ""), ""]
        if tag == "span" and "doc-section-title" in classes:
            self._section = True
            self._last["section"] = ""
        if tag == "table":
            self.tables.append({**self._last, "header": [], "rows": []})
        if self.tables and tag == "tr":
            self.tables[-1]["rows"].append([])
        if self.tables and tag in ("th", "td"):
            self._cell = ""
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
        if tag in ("h2", "h3", "h4", "h5") and self._heading is not None:
            hid, title = self._heading
            self.headings.append((hid, " ".join(title.replace("¶", " ").split())))
            self._last["heading"] = hid
            self._heading = None
        if tag == "span":
            self._section = False
        if tag in ("th", "td") and self._cell is not None:
            table, text = self.tables[-1], " ".join(self._cell.split())
            if tag == "th":
                table["header"].append(text)
            elif table["rows"]:
                table["rows"][-1].append(text)
            self._cell = None

    def handle_data(self, data):
        if self._pre:
            self.blocks[-1] += data
        if self._cell is not None:
            self._cell += data
        if self._heading is not None:
            self._heading[1] += data
        if self._section:
            self._last["section"] += data


def _untyped(page):
    """`(table, names)` for each table with a Type column that has an empty cell."""
    found = []
    for table in page.tables:
        header = table["header"]
        if "Type" not in header:
            continue
        column = header.index("Type")
        name = header.index("Name") if "Name" in header else None
        rows = [row for row in table["rows"] if len(row) > column]
        missing = [
            row[name] if name is not None and len(row) > name else "(unnamed)"
            for row in rows
            if not row[column]
        ]
        if missing:
            found.append((table, missing, len(rows)))
    return found


def _duplicates(page):
    """API object headings shown twice: one path twice, or module and function.

    Only titles that are dotted paths (the objects of the page) are compared; a
    method's heading is its short name, which two classes may share (`plot`).
    """
    titles = [title.split(" ", 1)[0].split("(", 1)[0] for _, title in page.headings]
    titles = [title for title in titles if "." in title]
    ids = {hid for hid, _ in page.headings}
    found = sorted({t for t in titles if titles.count(t) > 1})
    for hid in sorted(ids):
        name = hid.rsplit(".", 1)[-1]
        if f"{hid}.{name}" in ids:
            found.append(f"{hid} and {hid}.{name}")
    return found


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
    """`{"images": [...], "links": [...], ...}`: the problems of each kind, as text."""
    site = pathlib.Path(site).resolve()
    pages = {}
    for path in sorted(site.rglob("*.html")):
        parser = _Page()
        parser.feed(path.read_text(encoding="utf-8"))
        pages[path] = parser
    problems = {
        "images": [],
        "links": [],
        "wide": [],
        "untyped": [],
        "duplicates": [],
    }
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
        for table, missing, rows in _untyped(page):
            section = table["section"].strip().rstrip(":") or "table"
            problems["untyped"].append(
                f"{where}#{table['heading']}: {section}, {len(missing)} of {rows} "
                f"without a type: {', '.join(missing)}"
            )
        for duplicate in _duplicates(page):
            problems["duplicates"].append(f"{where}: shown twice: {duplicate}")
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
        label = f"{kind} (tables)" if kind == "untyped" else kind
        print(f"{label}: {len(found)}")
        for line in found:
            print(f"  {line}")
    failed = any(problems[k] for k in ("images", "links", "untyped", "duplicates"))
    return 1 if failed or (args.strict and problems["wide"]) else 0


if __name__ == "__main__":
    sys.exit(main())
