"""Regenerate docs/gallery.md and docs/gallery/*.svg from the specs in samples/.

    .venv/bin/python docs/make_gallery.py            # rewrite the gallery
    .venv/bin/python docs/make_gallery.py --check    # exit 1 when the gallery is out of date

Each sample is a spec name in samples/: the YAML file when there is one, otherwise the .py file.
Every figure is drawn with GALLERY_OPTIONS, which are the defaults of `graphviz-bp render`, so
the command shown under each figure draws the same figure. gallery.md records, per sample, the
SHA-256 of the spec text and of the figure's DOT text; tests/test_gallery.py recomputes both.
The DOT text is hashed instead of the SVG because the SVG bytes depend on the Graphviz version.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from graphviz_bp.engine import run
from graphviz_bp.expand import expand
from graphviz_bp.figure import RenderOptions, find_backend, to_dot_source
from graphviz_bp.figure.backends import INSTALL_HINT
from graphviz_bp.output import write_atomic
from graphviz_bp.spec import load

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
GALLERY_PAGE = ROOT / "docs" / "gallery.md"
GALLERY_FOLDER = ROOT / "docs" / "gallery"
GALLERY_OPTIONS = RenderOptions()
COMMAND = ".venv/bin/python docs/make_gallery.py"
# One line per sample in gallery.md, read back by --check and by tests/test_gallery.py.
MARKER = re.compile(
    r"<!-- gallery-entry spec=(?P<spec>\S+) spec-sha256=(?P<spec_sha256>[0-9a-f]{64})"
    r" dot-sha256=(?P<dot_sha256>[0-9a-f]{64}) figure=(?P<figure>\S+) -->"
)


@dataclass(frozen=True)
class Entry:
    """One sample of the gallery: paths relative to the repository root, and the two hashes."""

    spec: str
    spec_sha256: str
    dot_sha256: str
    figure: str


def sample_specs() -> list[Path]:
    """Return one spec per sample name in samples/, preferring YAML over its Python twin."""
    chosen: dict[str, Path] = {}
    for suffix in (".py", ".yml", ".yaml"):
        for path in sorted(SAMPLES.glob(f"*{suffix}")):
            chosen[path.stem] = path
    return [chosen[stem] for stem in sorted(chosen)]


def spec_sha256(path: Path) -> str:
    """Return the SHA-256 of the spec's text with LF line ends, so a CRLF checkout hashes the same."""
    text = path.read_bytes().replace(b"\r\n", b"\n")
    return hashlib.sha256(text).hexdigest()


def dot_source(path: Path) -> str:
    """Return the DOT text of the gallery figure of the spec at `path`."""
    # expand() with no names applies the expansions that the spec marks, as the CLI does.
    return to_dot_source(run(expand(load(path))), GALLERY_OPTIONS)


def expected_entry(path: Path) -> Entry:
    """Return the gallery entry that the spec at `path` should have now."""
    return Entry(
        spec=path.relative_to(ROOT).as_posix(),
        spec_sha256=spec_sha256(path),
        dot_sha256=hashlib.sha256(dot_source(path).encode("utf-8")).hexdigest(),
        figure=(GALLERY_FOLDER / f"{path.stem}.svg").relative_to(ROOT).as_posix(),
    )


def recorded_entries(page: str) -> list[Entry]:
    """Return the entries recorded in the text of gallery.md, in page order."""
    return [Entry(**match.groupdict()) for match in MARKER.finditer(page)]


def render_page(specs: list[Path], entries: list[Entry]) -> str:
    """Return the text of gallery.md."""
    lines = [
        "# Gallery",
        "",
        "Every spec in `samples/`, drawn with the default options of `graphviz-bp render`: forward",
        "values above each edge and gradients ∂L/∂value below it, in the book theme. The figures and",
        "this page are generated; to update them after changing a sample or the renderer, run",
        "",
        "```sh",
        COMMAND,
        "```",
        "",
        "from the repository root. `tests/test_gallery.py` fails when this page is out of date: each",
        "entry records the SHA-256 of its spec file and of its figure's DOT text.",
        "",
    ]
    for path, entry in zip(specs, entries, strict=True):
        graph = load(path)
        description = graph.description or graph.name
        lines += [
            f"## {graph.name}",
            "",
            description,
            "",
            f"![{description}]({Path(entry.figure).relative_to('docs').as_posix()})",
            "",
            "```sh",
            f"graphviz-bp render {entry.spec} -o {entry.figure}",
            "```",
            "",
        ]
        twin = path.with_suffix(".py")
        if path.suffix != ".py" and twin.is_file():
            lines += [f"The same network in Python: [`samples/{twin.name}`](../samples/{twin.name}).", ""]
        lines += [
            f"<!-- gallery-entry spec={entry.spec} spec-sha256={entry.spec_sha256}"
            f" dot-sha256={entry.dot_sha256} figure={entry.figure} -->",
            "",
        ]
    return "\n".join(lines)


def write_gallery() -> int:
    backend = find_backend()
    if backend is None:
        print(f"error: no Graphviz found to draw the gallery. To draw figures, {INSTALL_HINT}.", file=sys.stderr)
        return 1

    specs = sample_specs()
    entries = [expected_entry(path) for path in specs]
    GALLERY_FOLDER.mkdir(exist_ok=True)
    for path, entry in zip(specs, entries, strict=True):
        write_atomic(ROOT / entry.figure, backend.render(dot_source(path), "svg"))

    # Figures of samples that were removed or renamed would otherwise stay behind.
    figures = {ROOT / entry.figure for entry in entries}
    for stale in GALLERY_FOLDER.glob("*.svg"):
        if stale not in figures:
            stale.unlink()

    write_atomic(GALLERY_PAGE, render_page(specs, entries).encode("utf-8"))
    print(f"wrote {GALLERY_PAGE.relative_to(ROOT)} and {len(entries)} figures in {GALLERY_FOLDER.relative_to(ROOT)}")
    return 0


def check_gallery() -> int:
    page = GALLERY_PAGE.read_text(encoding="utf-8") if GALLERY_PAGE.is_file() else ""
    recorded = recorded_entries(page)
    expected = [expected_entry(path) for path in sample_specs()]
    problems = [f"{entry.spec}: entry missing or out of date" for entry in expected if entry not in recorded]
    problems += [f"{entry.spec}: entry for a spec that is no longer a sample" for entry in recorded
                 if entry not in expected and entry.spec not in {item.spec for item in expected}]
    problems += [f"{entry.figure}: figure missing" for entry in expected if not (ROOT / entry.figure).is_file()]
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"the gallery is out of date: run `{COMMAND}`", file=sys.stderr)
        return 1
    print("the gallery is up to date")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Regenerate the sample gallery in docs/.")
    parser.add_argument("--check", action="store_true",
                        help="Compare the gallery with the samples and exit 1 when it is out of date, without writing.")
    arguments = parser.parse_args(argv)
    return check_gallery() if arguments.check else write_gallery()


if __name__ == "__main__":
    sys.exit(main())
