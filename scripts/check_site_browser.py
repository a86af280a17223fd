"""Read the built docs in headless Chromium, as a newcomer's browser shows them.

    apt-get install chromium            # Debian's package: /usr/bin/chromium
    pip install playwright              # the driver only; no browser download
    python scripts/check_site_browser.py              # mkdocs build, then check
    python scripts/check_site_browser.py --site site  # check an existing build

The site is served from a local HTTP server (search fetches its index, which a
`file://` page may not), and every HTML page is opened at 1280 x 900 px. Reported,
and failed (exit code 1), per page:

* a page that does not load, or a request of the page that fails or answers 4xx/5xx
  (a missing stylesheet, script, font or image);
* an image that did not load (`naturalWidth` 0);
* a code block that scrolls sideways (`scrollWidth` wider than the block);
* on the home page, a search for `diagnose` that lists no result.

Tables wider than the page are reported, not failed (the theme scrolls them inside
their own frame), and so are requests to other hosts: offline they fail, and the
page must work without them (the theme asks GitHub's API for the repository's
stars and latest release, and shows none when it cannot). `scripts/check_site.py` reads the same site statically (links,
anchors, API tables); this script checks what only a browser measures. Playwright
drives Debian's Chromium (`--chromium`, default `/usr/bin/chromium`), so nothing is
downloaded at run time.
"""

import argparse
import functools
import http.server
import pathlib
import subprocess
import sys
import tempfile
import threading

ROOT = pathlib.Path(__file__).resolve().parents[1]

# Per page, in the browser: images that did not load, code blocks and tables
# wider than their box (px), as {"images": [...], "code": [...], "tables": [...]}.
_MEASURE = """() => {
  const wide = (el) => el.scrollWidth - el.clientWidth;
  const text = (el) => el.textContent.trim().split("\\n")[0].slice(0, 60);
  return {
    images: [...document.images]
      .filter((img) => !(img.complete && img.naturalWidth > 0))
      .map((img) => img.getAttribute("src")),
    code: [...document.querySelectorAll(".md-content pre > code")]
      .filter((el) => wide(el) > 1)
      .map((el) => `${wide(el)} px: ${text(el)}`),
    tables: [...document.querySelectorAll(".md-content table")]
      .map((el) => [el, el.closest(".md-typeset__scrollwrap") || el.parentElement])
      .filter(([el, box]) => el.offsetWidth - box.clientWidth > 1)
      .map(([el, box]) => `${el.offsetWidth - box.clientWidth} px: ${text(el)}`),
  };
}"""


def _serve(site):
    """A local HTTP server of `site` on a free port, in a daemon thread."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):  # one line per request would drown the report
            pass

    handler = functools.partial(Quiet, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def _check_page(browser, base, relative):
    """The problems of one page (list of str) and its wide tables (list of str)."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    failed, remote = [], []

    def on_failed(request):
        local = request.url.startswith(base)
        (failed if local else remote).append(request.url)

    page.on("requestfailed", on_failed)
    page.on(
        "response",
        lambda response: (
            response.status >= 400
            and failed.append(f"HTTP {response.status}: {response.url}")
        ),
    )
    try:
        response = page.goto(base + relative, wait_until="load")
        if response is None or not response.ok:
            return [f"page did not load ({response and response.status})"], [], []
        page.wait_for_load_state("networkidle")
        found = page.evaluate(_MEASURE)
    finally:
        page.close()
    problems = [f"request failed: {url}" for url in failed]
    problems += [f"image did not load: {src}" for src in found["images"]]
    problems += [f"code block scrolls sideways by {c}" for c in found["code"]]
    return problems, found["tables"], remote


def _check_search(browser, base, query="diagnose"):
    """Whether the home page's search lists a result for `query`."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        page.goto(base, wait_until="networkidle")
        # Typed key by key: the theme searches on key events, not on a fill.
        page.locator("input.md-search__input").click(timeout=5000)
        page.keyboard.type(query)
        page.wait_for_selector(".md-search-result__item", timeout=10000)
        return page.locator(".md-search-result__item").count() > 0
    except Exception:  # no result within the time: the search does not answer
        return False
    finally:
        page.close()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", help="a built site folder (default: build one)")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args(argv)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sys.exit(
            "check_site_browser needs playwright (pip install playwright) and "
            "Debian's chromium (apt-get install chromium)"
        )
    if not pathlib.Path(args.chromium).exists():
        sys.exit(f"no Chromium at {args.chromium}: apt-get install chromium")
    with tempfile.TemporaryDirectory() as tmp:
        site = pathlib.Path(args.site) if args.site else pathlib.Path(tmp) / "site"
        if not args.site:
            subprocess.run(
                ["mkdocs", "build", "--strict", "-q", "--site-dir", str(site)],
                cwd=ROOT,
                check=True,
            )
        pages = sorted(
            p.relative_to(site).as_posix()
            for p in site.rglob("*.html")
            if p.name != "404.html"
        )
        server, base = _serve(site)
        failures, wide_tables, remote = {}, {}, set()
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=args.chromium, args=["--no-sandbox"]
            )
            for relative in pages:
                problems, tables, outside = _check_page(browser, base, relative)
                remote.update(outside)
                if problems:
                    failures[relative] = problems
                if tables:
                    wide_tables[relative] = tables
            search = _check_search(browser, base)
            browser.close()
        server.shutdown()
    print(f"pages: {len(pages)} opened at 1280 x 900 in {args.chromium}")
    for relative, problems in failures.items():
        for problem in problems:
            print(f"  {relative}: {problem}")
    print(f"pages with a problem: {len(failures)}")
    for relative, tables in wide_tables.items():
        for table in tables:
            print(f"  {relative}: table scrolls inside its frame by {table}")
    print(f"pages with a wide table (reported only): {len(wide_tables)}")
    for url in sorted(remote):
        print(f"  remote request (fails offline; reported only): {url}")
    print(f"search for 'diagnose': {'answers' if search else 'NO RESULT'}")
    return 1 if failures or not search else 0


if __name__ == "__main__":
    sys.exit(main())
