"""The Sphinx extension: real Sphinx builds of a small project in tmp_path."""

from __future__ import annotations

import io
import os
import re
import struct
import subprocess
import sys
import time
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest
from conftest import ROOT, SAMPLES

pytest.importorskip("sphinx", reason="the Sphinx extension needs the docs or test extra: pip install -e '.[test]'")
pytest.importorskip("pygraphviz")

from sphinx.application import Sphinx  # noqa: E402
from sphinx.util.docutils import docutils_namespace  # noqa: E402

from graphviz_bp.engine import run  # noqa: E402
from graphviz_bp.figure import render_bytes  # noqa: E402
from graphviz_bp.spec import load  # noqa: E402

SVG_NAMESPACE = "{http://www.w3.org/2000/svg}"


@pytest.fixture(autouse=True)
def bundled_only(monkeypatch):
    """Force the Graphviz library bundled with pygraphviz, so that no `dot` program on PATH is needed."""
    monkeypatch.setenv("GRAPHVIZ_BP_BACKEND", "bundled")


def make_project(root: Path, body: str, settings: str = "") -> Path:
    """Write conf.py with `settings` and an index.rst with `body` after its title, and return the source folder."""
    source = root / "source"
    source.mkdir(parents=True, exist_ok=True)
    (source / "conf.py").write_text('extensions = ["graphviz_bp.sphinx"]\n' + settings, encoding="utf-8")
    (source / "index.rst").write_text("Figures\n=======\n\n" + body, encoding="utf-8")
    return source


def build(source: Path) -> tuple[str, str, Path]:
    """Build `source` as HTML next to it and return the warnings, index.html and the output folder."""
    output = source.parent / "html"
    warnings = io.StringIO()
    # A docutils namespace per build, so that registering the directive again in the same
    # process is not reported as overriding it.
    with docutils_namespace():
        app = Sphinx(str(source), str(source), str(output), str(output / ".doctrees"), "html",
                     status=io.StringIO(), warning=warnings)
        app.build()
    html = (output / "index.html").read_text(encoding="utf-8")
    return warnings.getvalue(), html, output


def image_sources(html: str) -> list[str]:
    return re.findall(r'<img [^>]*src="([^"]+)"', html)


def svg_texts(path: Path) -> list[str]:
    root = ElementTree.parse(path).getroot()
    assert root.tag == SVG_NAMESPACE + "svg"
    return [element.text or "" for element in root.iter(SVG_NAMESPACE + "text")]


def spec_path(source: Path, spec: Path) -> str:
    return Path(os.path.relpath(spec, source)).as_posix()


def test_directive_renders_svg_figure(tmp_path):
    spec = spec_path(tmp_path / "source", SAMPLES / "sigmoid_expanded.yaml")
    source = make_project(tmp_path, f".. graphviz-bp:: {spec}\n")

    warnings, html, output = build(source)

    assert warnings == ""
    [image] = image_sources(html)
    assert image.startswith("_images/")
    assert image.endswith(".svg")
    assert 'alt="The sigmoid written as primitive operations' in html
    svg_file = output / image
    assert svg_file.is_file()
    texts = svg_texts(svg_file)
    assert "−∂L/∂y·y² = −0.3875" in texts
    assert "y = 0.6225" in texts


def test_options_reach_figure(tmp_path):
    spec = spec_path(tmp_path / "source", SAMPLES / "sigmoid_expanded.yaml")
    body = (
        f".. graphviz-bp:: {spec}\n"
        "   :labels: numeric\n"
        "   :precision: 2\n"
        "   :rankdir: TB\n"
        "   :forward-only:\n"
        "   :alt: The sigmoid, forward only\n"
    )
    source = make_project(tmp_path, body)

    warnings, html, output = build(source)

    assert warnings == ""
    assert 'alt="The sigmoid, forward only"' in html
    [image] = image_sources(html)
    texts = svg_texts(output / image)
    assert "0.62" in texts
    assert not any("∂L" in text for text in texts)
    assert not any("exp(−x)" in text for text in texts)


def test_expand_option_draws_primitive_ops(tmp_path):
    spec = spec_path(tmp_path / "source", SAMPLES / "sigmoid.yaml")
    source = make_project(tmp_path, f".. graphviz-bp:: {spec}\n\n.. graphviz-bp:: {spec}\n   :expand: y\n")

    warnings, html, output = build(source)

    assert warnings == ""
    whole, expanded = image_sources(html)
    assert "exp" not in svg_texts(output / whole)
    assert "exp" in svg_texts(output / expanded)


def test_caption_makes_numbered_figure(tmp_path):
    spec = spec_path(tmp_path / "source", SAMPLES / "apple.yaml")
    body = (
        f".. graphviz-bp:: {spec}\n"
        "   :caption: Buying *apples*\n"
        "   :name: apple-figure\n"
        "   :align: center\n"
        "\n"
        "See :ref:`apple-figure`.\n"
    )
    source = make_project(tmp_path, body)

    warnings, html, _ = build(source)

    assert warnings == ""
    assert re.search(r'<figure class="align-center" id="apple-figure">', html)
    assert "Buying <em>apples</em>" in html
    assert 'href="#apple-figure"' in html
    assert len(image_sources(html)) == 1


def test_png_format_and_python_spec(tmp_path):
    spec = spec_path(tmp_path / "source", SAMPLES / "apple.py")
    source = make_project(tmp_path, f".. graphviz-bp:: {spec}\n   :format: png\n   :dpi: 192\n")

    warnings, html, output = build(source)

    assert warnings == ""
    [image] = image_sources(html)
    assert image.endswith(".png")
    data = (output / image).read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    width, _ = struct.unpack(">II", data[16:24])
    default = render_bytes(run(load(SAMPLES / "apple.py")), "png")
    default_width, _ = struct.unpack(">II", default[16:24])
    # 192 dpi is twice Graphviz's default of 96, up to a pixel of rounding.
    assert abs(width - 2 * default_width) <= 2


def test_format_setting_sets_default(tmp_path):
    spec = spec_path(tmp_path / "source", SAMPLES / "apple.yaml")
    body = f".. graphviz-bp:: {spec}\n\n.. graphviz-bp:: {spec}\n   :format: svg\n"
    source = make_project(tmp_path, body, settings='graphviz_bp_format = "png"\n')

    warnings, html, _ = build(source)

    assert warnings == ""
    [default, explicit] = image_sources(html)
    assert default.endswith(".png")
    assert explicit.endswith(".svg")


def test_spec_change_rebuilds_figure(tmp_path):
    spec = tmp_path / "price.yaml"
    spec.write_text("name: price\ninputs:\n  a: 2\n  b: 3\nnodes:\n  c: a * b\noutput: c\n", encoding="utf-8")
    source = make_project(tmp_path, ".. graphviz-bp:: ../price.yaml\n   :labels: numeric\n")

    _, first_html, output = build(source)
    [first_image] = image_sources(first_html)
    first_texts = svg_texts(output / first_image)
    assert "6" in first_texts
    assert "10" not in first_texts

    spec.write_text("name: price\ninputs:\n  a: 2\n  b: 5\nnodes:\n  c: a * b\noutput: c\n", encoding="utf-8")
    # Sphinx compares modification times, which a fast machine can leave equal to the build's.
    later = time.time() + 5
    os.utime(spec, (later, later))
    warnings, second_html, _ = build(source)

    assert warnings == ""
    [second_image] = image_sources(second_html)
    assert second_image != first_image
    assert "10" in svg_texts(output / second_image)


def test_broken_spec_warns_with_location(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: broken\ninputs:\n  x: 1.0\nnodes:\n  y: frob(x)\noutput: y\n", encoding="utf-8")
    spec = spec_path(tmp_path / "source", SAMPLES / "apple.yaml")
    source = make_project(tmp_path, f".. graphviz-bp:: ../broken.yaml\n\n.. graphviz-bp:: {spec}\n")

    warnings, html, _ = build(source)

    assert f"{broken}:5:6: unknown op 'frob'" in warnings
    assert "index.rst:4: WARNING" in warnings
    assert "[graphviz_bp.figure]" in warnings
    assert "Traceback" not in warnings
    # The page is still built, with the figure of the valid spec.
    assert len(image_sources(html)) == 1


def test_missing_spec_warns(tmp_path):
    source = make_project(tmp_path, ".. graphviz-bp:: missing.yaml\n")

    warnings, html, _ = build(source)

    assert "spec file not found: missing.yaml" in warnings
    assert image_sources(html) == []


def test_invalid_option_is_reported(tmp_path):
    spec = spec_path(tmp_path / "source", SAMPLES / "apple.yaml")
    source = make_project(tmp_path, f".. graphviz-bp:: {spec}\n   :precision: 30\n")

    warnings, html, _ = build(source)

    assert "precision 30 is out of range" in warnings
    assert image_sources(html) == []


def test_sphinx_build_fails_on_warning(tmp_path):
    (tmp_path / "broken.yaml").write_text("name: broken\nnodes: [\n", encoding="utf-8")
    source = make_project(tmp_path, ".. graphviz-bp:: ../broken.yaml\n")

    completed = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "-q", "-b", "html", str(source), str(tmp_path / "html")],
        capture_output=True, text=True, timeout=300, check=False,
    )

    assert completed.returncode != 0
    assert re.search(r"broken\.yaml:\d+:\d+: ", completed.stderr)
    assert "Traceback" not in completed.stderr


def test_package_import_does_not_import_sphinx():
    completed = subprocess.run(
        [sys.executable, "-c", "import sys, graphviz_bp; print('sphinx' in sys.modules)"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )

    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == "False"


def test_unknown_expand_name_warns(tmp_path):
    spec = spec_path(tmp_path / "source", SAMPLES / "sigmoid.yaml")
    source = make_project(tmp_path, f".. graphviz-bp:: {spec}\n   :expand: z\n")

    warnings, html, _ = build(source)

    assert "cannot expand 'z'" in warnings
    assert image_sources(html) == []


def test_missing_graphviz_warns(tmp_path, monkeypatch):
    # With the backend forced to the `dot` program and an empty PATH, no Graphviz is found.
    monkeypatch.setenv("GRAPHVIZ_BP_BACKEND", "dot")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    spec = spec_path(tmp_path / "source", SAMPLES / "apple.yaml")
    source = make_project(tmp_path, f".. graphviz-bp:: {spec}\n")

    warnings, html, _ = build(source)

    assert "no Graphviz found to draw apple.yaml" in warnings
    assert image_sources(html) == []
