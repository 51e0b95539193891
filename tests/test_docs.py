"""Every citation of a theory.md section resolves to a heading of docs/theory.md.

Code, captions, check rows and tests cite the physics notes by section label (theory.md §C.3,
§D.6 and so on). docs/theory.md is the project's copy of those notes; these tests keep the two in step:

* every label cited in a tracked text file under src/, workflow/, tests/, benchmarks/, docs/ and in
  README.md is a heading label of docs/theory.md (all unresolved citations are listed, file:line);
* no heading label appears twice in docs/theory.md;
* docs/theory.md has every section label of the spec it restates (0, A, A.1-A.5, ..., H).

What counts as a citation, in a file that mentions theory.md anywhere: each "§" followed by a
section label — the one right after "theory.md §", the further ones of a list such as
"theory.md §C.3, §D.6", ranges "§D.1-D.2" (both ends), and bare labels elsewhere in the file.
A trailing period is punctuation ("§D.6." cites D.6). Files that never mention theory.md are not
scanned (a bare "§" there may refer to another document).
"""

from __future__ import annotations

import os
import re
import subprocess
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = Path("docs") / "theory.md"
SCANNED = ("src", "workflow", "tests", "benchmarks", "docs", "README.md")

SECTION = "\u00a7"  # the section sign, spelled out so that this file's own examples are not citations
LABEL = r"[0-9A-Z](?:\.[0-9]+)?(?![0-9A-Za-z])"
# A label after the section sign, optionally the far end of a range: "§D.1-D.2", "§A.2–A.3".
CITATION = re.compile(SECTION + r"\s?(" + LABEL + r")(?:[-\u2013](" + LABEL + r"))?")
# A heading of docs/theory.md: "## A. Model", "### A.1 Signal", "## 0. Reading guide".
HEADING = re.compile(r"^#{1,6}\s+(" + LABEL + r")\.?\s")

# The section labels of the spec that docs/theory.md restates (shared/theory.md).
SPEC_LABELS = (
    ["0", "A"] + [f"A.{i}" for i in range(1, 6)]
    + ["B"] + [f"B.{i}" for i in range(1, 4)]
    + ["C"] + [f"C.{i}" for i in range(1, 6)]
    + ["D"] + [f"D.{i}" for i in range(1, 8)]
    + ["E"] + [f"E.{i}" for i in range(1, 4)]
    + ["F"] + [f"F.{i}" for i in range(1, 4)]
    + ["G", "H"]
)


def heading_labels(text: str) -> list[str]:
    """Section labels of the Markdown headings in ``text``, in order (fenced code blocks skipped)."""
    labels, fenced = [], False
    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
            continue
        match = None if fenced else HEADING.match(line)
        if match:
            labels.append(match.group(1))
    return labels


def cited_labels(text: str) -> list[tuple[int, str]]:
    """(line number, label) of every theory.md section cited in ``text``; [] if it never names theory.md."""
    if "theory.md" not in text:
        return []
    cited = []
    for number, line in enumerate(text.splitlines(), start=1):
        for match in CITATION.finditer(line):
            cited.extend((number, label) for label in match.groups() if label is not None)
    return cited


def scanned_files() -> list[Path]:
    """Tracked files under SCANNED (relative to ROOT), plus docs/theory.md; a directory walk without git."""
    try:
        listing = subprocess.run(
            ["git", "-C", str(ROOT), "ls-files", "-z", "--", *SCANNED],
            check=True, capture_output=True, text=True,
        ).stdout
        files = {Path(name) for name in listing.split("\0") if name}
    except (OSError, subprocess.CalledProcessError):
        files = set()
        for top in SCANNED:
            if (ROOT / top).is_file():
                files.add(Path(top))
            for directory, _, names in os.walk(ROOT / top):
                files.update((Path(directory) / name).relative_to(ROOT) for name in names)
    files.add(DOC)
    return sorted(files)


def read_text(path: Path) -> str | None:
    try:
        data = (ROOT / path).read_bytes()
    except (FileNotFoundError, IsADirectoryError):
        return None  # tracked but deleted in the working tree
    if b"\0" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def test_citation_pattern():
    s = SECTION
    text = (
        f"theory.md {s}D.6.\n"
        f"(theory.md {s}C.3, {s}D.6; {s}G: numbers)\n"
        f"see {s}D.1-D.2 and {s}A.2\u2013A.3, {s}D.4/{s}D.5\n"
        f"{s}D.60 {s}Dx {s}E.2\" {s}0"
    )
    assert cited_labels(text) == [
        (1, "D.6"), (2, "C.3"), (2, "D.6"), (2, "G"),
        (3, "D.1"), (3, "D.2"), (3, "A.2"), (3, "A.3"), (3, "D.4"), (3, "D.5"),
        (4, "D.60"), (4, "E.2"), (4, "0"),
    ]
    assert cited_labels(f"paper {s}3") == []  # no theory.md in the file: not scanned
    document = "# Title\n## A. Model\n### A.1 Signal\n```\n## B. not a heading\n```\n## 0. Guide\n"
    assert heading_labels(document) == ["A", "A.1", "0"]


def test_every_theory_citation_resolves_to_a_heading():
    doc = read_text(DOC)
    assert doc is not None, f"{DOC} is missing"
    headings = set(heading_labels(doc))
    unresolved, count = [], 0
    for path in scanned_files():
        text = read_text(path)
        if text is None:
            continue
        for line, label in cited_labels(text):
            count += 1
            if label not in headings:
                unresolved.append(f"{path}:{line}: {SECTION}{label}")
    assert count > 0, "no theory.md citation found: the scan is broken"
    assert not unresolved, (
        f"{len(unresolved)} theory.md citation(s) name no heading of {DOC}:\n" + "\n".join(unresolved)
    )


def test_headings_are_unique():
    labels = heading_labels(read_text(DOC) or "")
    repeated = sorted(label for label, n in Counter(labels).items() if n > 1)
    assert not repeated, f"heading labels appearing more than once in {DOC}: {repeated}"


def test_every_spec_section_has_a_heading():
    labels = set(heading_labels(read_text(DOC) or ""))
    missing = [label for label in SPEC_LABELS if label not in labels]
    assert not missing, f"{DOC} lacks the spec's section(s) {missing}"
