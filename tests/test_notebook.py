"""Notebook display: Graph and Trace show as SVG through IPython and in an executed notebook."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest
from conftest import ROOT, SAMPLES

import graphviz_bp as bp

pytest.importorskip("IPython")
pytest.importorskip("pygraphviz")


@pytest.fixture
def bundled_only(monkeypatch):
    """Force the Graphviz library bundled with pygraphviz, so that no `dot` program is used."""
    monkeypatch.setenv("GRAPHVIZ_BP_BACKEND", "bundled")


@pytest.mark.parametrize("make", [bp.load, lambda path: bp.run(bp.load(path))], ids=["graph", "trace"])
def test_display_formatter_gives_svg(make, bundled_only):
    from IPython.core.formatters import DisplayFormatter

    data, _ = DisplayFormatter().format(make(SAMPLES / "apple.yaml"))

    assert "image/svg+xml" in data
    svg = data["image/svg+xml"]
    assert svg.startswith("<svg")
    assert "apple_num" in svg
    assert "text/plain" in data


def test_network_displays_as_svg(bundled_only):
    from IPython.core.formatters import DisplayFormatter

    with bp.Network("shown") as net:
        x = net.input("x", 0.5)
        net.output(net.node("y", bp.sigmoid(x)))
    data, _ = DisplayFormatter().format(net)

    assert data["image/svg+xml"].startswith("<svg")


def test_import_is_lazy():
    code = "import sys, graphviz_bp; print(sorted({'sympy', 'pygraphviz'} & set(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)

    assert result.stdout.strip() == "[]"


def test_example_notebook_executes(tmp_path, bundled_only, monkeypatch):
    nbclient = pytest.importorskip("nbclient")
    nbformat = pytest.importorskip("nbformat")
    pytest.importorskip("ipykernel")
    notebook_path = tmp_path / "notebook.ipynb"
    shutil.copy(ROOT / "docs" / "notebook.ipynb", notebook_path)
    notebook = nbformat.read(notebook_path, as_version=4)

    # The kernel inherits this environment: the bundled backend and no `dot` on PATH.
    without_dot = [
        folder for folder in os.environ.get("PATH", "").split(os.pathsep) if not shutil.which("dot", path=folder)
    ]
    monkeypatch.setenv("PATH", os.pathsep.join(without_dot))
    client = nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()

    code_cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    svg_outputs = [
        output
        for cell in code_cells
        for output in cell.outputs
        if output.get("output_type") == "execute_result" and "image/svg+xml" in output.get("data", {})
    ]
    errors = [output for cell in code_cells for output in cell.outputs if output.get("output_type") == "error"]
    assert not errors
    assert len(svg_outputs) == 2
    assert all(output["data"]["image/svg+xml"].lstrip().startswith("<svg") for output in svg_outputs)
