"""The built site works where it is served: offline, and under its sub-path.

Builds the site once (about 10 seconds, so marked slow: CI runs it) with the `docs`
extra; skipped without it.
"""

import contextlib
import html
import importlib
import importlib.util
import os
import pathlib
import re
import urllib.parse

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
# Every subpackage with an API page (docs/api/<name>.md).
SUBPACKAGES = sorted(
    p.stem for p in (ROOT / "docs" / "api").glob("*.md") if p.stem != "index"
)
PUBLIC = [
    (sub, name)
    for sub in SUBPACKAGES
    for name in importlib.import_module(f"keras_seqfix.{sub}").__all__
]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    pytest.importorskip("mkdocs")
    pytest.importorskip("mkdocstrings")
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    site_dir = tmp_path_factory.mktemp("site")
    with _chdir(ROOT):
        config = load_config(
            str(ROOT / "mkdocs.yml"), site_dir=str(site_dir), strict=True
        )
        build(config)
    return config, site_dir


@contextlib.contextmanager
def _chdir(path):  # contextlib.chdir is Python 3.11+; 3.10 is supported
    old = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


def _pages(site_dir):
    return sorted(site_dir.rglob("*.html"))


def test_site_and_repository_urls_are_set(site):
    config, _ = site
    assert config["site_url"].startswith("https://")
    assert config["repo_url"].startswith("https://github.com/")


def test_no_page_loads_anything_from_another_host(site):
    # Fonts, stylesheets and scripts all come from the site itself.
    _, site_dir = site
    # (The canonical link names the page's own address; the browser loads nothing.)
    tags = re.compile(r"<(?:link|script|img)\b[^>]*>")
    remote = re.compile(r'(?:href|src)="(?:https?:)?//([^"/]+)')
    offenders = {}
    for page in _pages(site_dir):
        hosts = {
            m.group(1)
            for tag in tags.findall(page.read_text())
            if 'rel="canonical"' not in tag and (m := remote.search(tag))
        }
        if hosts:
            offenders[str(page.relative_to(site_dir))] = sorted(hosts)
    assert offenders == {}


def test_404_page_links_resolve_under_the_sub_path(site):
    config, site_dir = site
    base = urllib.parse.urlsplit(config["site_url"]).path
    assert base not in ("", "/"), "the check needs a site_url with a sub-path"
    text = (site_dir / "404.html").read_text()
    local = [
        url
        for url in re.findall(r'(?:href|src)="([^"#]+)"', text)
        if not urllib.parse.urlsplit(url).scheme
    ]
    assert local, "404.html links nothing of the site"
    # Absolute paths (404.html is served at any depth) under the site's base, and
    # each one names a file the build wrote.
    for url in local:
        assert url.startswith(base), url
        target = site_dir / url[len(base) :]
        if not target.suffix:
            target = target / "index.html"
        assert target.exists(), url


def _headings(text):
    """(id, text) of every h2-h4 heading, the text without tags and the link mark."""
    found = re.findall(r'<h([2-4]) id="([^"]+)"[^>]*>(.*?)</h\1>', text, re.S)
    return [
        (hid, " ".join(html.unescape(re.sub(r"<[^>]+>", "", body)).split()).strip("¶ "))
        for _, hid, body in found
    ]


@pytest.mark.parametrize(("sub", "name"), PUBLIC)
def test_each_public_name_appears_once_on_its_api_page(site, sub, name):
    _, site_dir = site
    text = (site_dir / "api" / sub / "index.html").read_text()
    path = f"keras_seqfix.{sub}.{name}"
    # The name, without a signature, a value or a label such as "dataclass".
    titles = [re.split(r"[\s(=]", title, maxsplit=1)[0] for _, title in _headings(text)]
    assert titles.count(path) == 1, titles
    # Not also the module of the same name with the function under it again.
    assert [t.rsplit(".", 1)[-1] for t in titles].count(name) == 1, titles
    # The public path is an anchor the overview and the guides link to.
    assert f'id="{path}"' in text


def test_parameter_tables_have_no_empty_type_column(site):
    _, site_dir = site
    for page in sorted((site_dir / "api").rglob("*.html")):
        for table in re.findall(r"<table>.*?</table>", page.read_text(), re.S):
            header = re.findall(r"<th>(.*?)</th>", table, re.S)
            if "Type" not in header:
                continue
            column = header.index("Type")
            cells = [
                re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
                for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.S)
            ]
            types = [row[column] for row in cells if len(row) > column]
            # Every documented argument, attribute and return value has its type.
            assert all(re.sub(r"<[^>]+>|\s", "", c) for c in types), (page, table)


def test_every_page_loads_the_extra_stylesheet(site):
    config, site_dir = site
    assert "stylesheets/extra.css" in config["extra_css"]
    css = (site_dir / "stylesheets" / "extra.css").read_text()
    assert re.search(r"td code[^{]*\{[^}]*word-break:\s*normal", css, re.S)
    assert re.search(r"pre > code\s*\{[^}]*white-space:\s*pre-wrap", css)
    for page in _pages(site_dir):
        if page.name != "404.html":
            assert "stylesheets/extra.css" in page.read_text(), page


def test_benchmark_tables_are_rendered_and_the_hook_is_not_published(site):
    _, site_dir = site
    text = (site_dir / "benchmarks" / "index.html").read_text()
    assert "results:" not in text  # every marker replaced
    assert "ksf predict s (first, again)</th>" in text  # the rendered table
    assert not (site_dir / "hooks.py").exists()


def test_check_site_finds_no_broken_image_or_link(site):
    spec = importlib.util.spec_from_file_location(
        "check_site", ROOT / "scripts" / "check_site.py"
    )
    check_site = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(check_site)
    _, site_dir = site
    problems = check_site.check(site_dir)
    assert problems["images"] == [] and problems["links"] == [], problems
    # The pictures of the pages opened first are in the built site.
    for page in ("index.html", "loss_high/index.html", "diagnosis/index.html"):
        assert "<img" in (site_dir / page).read_text(), page
