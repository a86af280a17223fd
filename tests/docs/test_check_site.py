"""scripts/check_site.py finds broken images, links, anchors and wide code lines."""

import importlib.util
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _module():
    spec = importlib.util.spec_from_file_location(
        "check_site", ROOT / "scripts" / "check_site.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _site(tmp_path, body):
    (tmp_path / "img").mkdir()
    (tmp_path / "img" / "ok.png").write_bytes(b"png")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "index.html").write_text('<h2 id="there">x</h2>')
    (tmp_path / "index.html").write_text(f"<html><body>{body}</body></html>")
    return tmp_path


def test_a_sound_page_has_no_problems(tmp_path):
    site = _site(
        tmp_path,
        '<img src="img/ok.png"><a href="other/#there">a</a><a href="#top">t</a>'
        '<h1 id="top">t</h1><a href="https://example.org/">e</a>'
        "<pre><code>short line</code></pre>",
    )
    assert _module().check(site) == {
        "images": [],
        "links": [],
        "wide": [],
        "untyped": [],
        "duplicates": [],
    }


def test_broken_images_links_anchors_and_wide_lines_are_reported(tmp_path):
    site = _site(
        tmp_path,
        '<img src="img/gone.png"><img src="https://fonts.example/x.png">'
        '<a href="missing/">m</a><a href="other/#nowhere">n</a>'
        f"<pre><code><span>x = 1</span>  # {'c' * 90}\nshort</code></pre>",
    )
    problems = _module().check(site)
    assert problems["images"] == [
        "index.html: missing image img/gone.png",
        "index.html: remote image https://fonts.example/x.png",
    ]
    assert problems["links"] == [
        "index.html: link to a missing page missing/",
        "index.html: link to a missing anchor other/#nowhere",
    ]
    assert (
        len(problems["wide"]) == 1 and "index.html: 99 columns" in problems["wide"][0]
    )


def test_exit_code_fails_on_broken_links_only_unless_strict(tmp_path, capsys):
    module = _module()
    wide = _site(tmp_path, f"<pre><code>{'y' * 100}</code></pre>")
    assert module.main(["--site", str(wide)]) == 0
    assert module.main(["--site", str(wide), "--strict"]) == 1
    (wide / "index.html").write_text('<a href="gone.html">g</a>')
    assert module.main(["--site", str(wide)]) == 1
    assert "link to a missing page gone.html" in capsys.readouterr().out


def _api_table(rows):
    """An mkdocstrings parameter table: Name, Type, Description, Default."""
    body = "".join(
        f"<tr><td><code>{name}</code></td><td><code>{kind}</code></td>"
        "<td><p>what it is</p></td><td><em>required</em></td></tr>"
        for name, kind in rows
    )
    return (
        '<p><span class="doc-section-title">Parameters:</span></p><table><thead>'
        "<tr><th>Name</th><th>Type</th><th>Description</th><th>Default</th></tr>"
        f"</thead><tbody>{body}</tbody></table>"
    )


def test_parameters_without_a_type_are_reported_and_fail(tmp_path, capsys):
    heading = '<h2 id="pkg.f" class="doc doc-heading"><code>pkg.f</code></h2>'
    site = _site(
        tmp_path,
        heading + _api_table([("units", "int"), ("cell", ""), ("name", " ")]),
    )
    module = _module()
    assert module.check(site)["untyped"] == [
        "index.html#pkg.f: Parameters, 2 of 3 without a type: cell, name"
    ]
    assert module.main(["--site", str(site)]) == 1
    assert "untyped (tables): 1" in capsys.readouterr().out
    (site / "index.html").write_text(heading + _api_table([("units", "int")]))
    assert module.check(site)["untyped"] == []
    assert module.main(["--site", str(site)]) == 0


def _heading(level, path, title):
    return (
        f'<h{level} id="{path}" class="doc doc-heading"><code>{title}</code></h{level}>'
    )


def test_a_module_and_its_function_of_the_same_name_are_a_duplicate(tmp_path):
    module = _module()
    site = _site(
        tmp_path,
        _heading(2, "pkg.fit_recipe", "pkg.fit_recipe")
        + _heading(3, "pkg.fit_recipe.fit_recipe", "fit_recipe"),
    )
    assert module.check(site)["duplicates"] == [
        "index.html: shown twice: pkg.fit_recipe and pkg.fit_recipe.fit_recipe"
    ]
    # One path shown twice under two ids, as a heading option can make it.
    (site / "index.html").write_text(
        _heading(2, "pkg.diagnose", "pkg.diagnose")
        + _heading(2, "pkg.diagnose.diagnose", "pkg.diagnose")
    )
    assert module.check(site)["duplicates"] == [
        "index.html: shown twice: pkg.diagnose",
        "index.html: shown twice: pkg.diagnose and pkg.diagnose.diagnose",
    ]
    # Two classes' methods of one short name are not duplicates.
    (site / "index.html").write_text(
        _heading(2, "pkg.A", "pkg.A")
        + _heading(3, "pkg.A.plot", "plot")
        + _heading(2, "pkg.B", "pkg.B")
        + _heading(3, "pkg.B.plot", "plot")
    )
    assert module.check(site)["duplicates"] == []
