"""docs/gallery.md is current: one entry per sample whose hashes match the spec and its DOT text.

When a test here fails after a change to a sample or to the renderer, run
`python docs/make_gallery.py` and commit the result.
"""

from __future__ import annotations

import hashlib
import importlib.util
import sys
import xml.etree.ElementTree as ElementTree

import pytest
from conftest import ROOT, SAMPLES

from graphviz_bp.engine import run
from graphviz_bp.expand import expand
from graphviz_bp.figure import to_dot_source
from graphviz_bp.spec import load

REGENERATE = "the gallery is out of date: run `python docs/make_gallery.py`"


def load_make_gallery():
    module_spec = importlib.util.spec_from_file_location("make_gallery", ROOT / "docs" / "make_gallery.py")
    module = importlib.util.module_from_spec(module_spec)
    # dataclasses looks the defining module up in sys.modules while creating the class.
    sys.modules[module_spec.name] = module
    module_spec.loader.exec_module(module)
    return module


make_gallery = load_make_gallery()
PAGE = (ROOT / "docs" / "gallery.md").read_text(encoding="utf-8")
ENTRIES = {entry.spec: entry for entry in make_gallery.recorded_entries(PAGE)}
SAMPLE_NAMES = sorted({path.stem for path in SAMPLES.iterdir() if path.suffix in (".yaml", ".yml", ".py")})


def entry_for(name: str):
    matches = [entry for spec, entry in ENTRIES.items() if spec.rsplit("/", 1)[-1].rsplit(".", 1)[0] == name]
    assert len(matches) == 1, f"{name}: expected one gallery entry, found {len(matches)}: {REGENERATE}"
    return matches[0]


def test_gallery_lists_every_sample():
    recorded_names = sorted(spec.rsplit("/", 1)[-1].rsplit(".", 1)[0] for spec in ENTRIES)

    assert SAMPLE_NAMES, "samples/ contains no specs"
    assert recorded_names == SAMPLE_NAMES, REGENERATE
    assert len(ENTRIES) == len(make_gallery.MARKER.findall(PAGE)), "gallery.md lists a spec twice"


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_gallery_entry_is_current(name):
    entry = entry_for(name)
    spec = ROOT / entry.spec
    assert spec.is_file(), f"{entry.spec} does not exist: {REGENERATE}"

    spec_text = spec.read_bytes().replace(b"\r\n", b"\n")
    dot_text = to_dot_source(run(expand(load(spec))), make_gallery.GALLERY_OPTIONS)

    assert hashlib.sha256(spec_text).hexdigest() == entry.spec_sha256, f"{entry.spec} changed: {REGENERATE}"
    assert hashlib.sha256(dot_text.encode("utf-8")).hexdigest() == entry.dot_sha256, (
        f"the figure of {entry.spec} changed: {REGENERATE}"
    )


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_gallery_figure_is_svg(name):
    entry = entry_for(name)
    figure = ROOT / entry.figure
    assert figure.is_file(), f"{entry.figure} is missing: {REGENERATE}"

    root = ElementTree.parse(figure).getroot()
    texts = [element.text for element in root.iter("{http://www.w3.org/2000/svg}text")]

    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert load(ROOT / entry.spec).output in texts
    assert f"]({entry.figure.removeprefix('docs/')})" in PAGE


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_documented_command_draws_gallery_figure(name, cli):
    entry = entry_for(name)
    command = f"graphviz-bp render {entry.spec} -o {entry.figure}"
    assert command in PAGE

    completed = cli("render", entry.spec, "--format", "dot", "--output", "-")

    assert completed.returncode == 0, completed.stderr.decode()
    assert hashlib.sha256(completed.stdout).hexdigest() == entry.dot_sha256


def test_check_mode_reports_stale_entry(tmp_path, monkeypatch, capsys):
    first = next(iter(ENTRIES.values()))
    stale_page = tmp_path / "gallery.md"
    stale_page.write_text(PAGE.replace(first.dot_sha256, "0" * 64), encoding="utf-8")

    assert make_gallery.check_gallery() == 0
    monkeypatch.setattr(make_gallery, "GALLERY_PAGE", stale_page)
    result = make_gallery.check_gallery()

    assert result == 1
    assert f"{first.spec}: entry missing or out of date" in capsys.readouterr().err
