"""Every notebook has the same teaching structure: a diagram of its step and the sections a learner relies on.

- a title `# NN · ...`;
- objectives, time, cost and prerequisites (the table under the title);
- a Mermaid architecture diagram with this notebook's step highlighted (`class ... current`);
- "you should see" checks, troubleshooting, "what you learned";
- a pointer to the next notebook (00-05), which links the real next file;
- consistent headings: section headings are `##`, the title is the only `#`.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("[0-9][0-9]_*.ipynb"))
SECTIONS = {
    "objectives": r"\*\*Objectives\*\*",
    "time": r"\*\*Time\*\*",
    "cost": r"\*\*Cost\*\*",
    "prerequisites": r"\*\*Prerequisites\*\*",
    "you should see": r"^#{2,3} You should see\b",
    "troubleshooting": r"^## Troubleshooting\b",
    "what you learned": r"^## What you learned\b",
}


def _markdown(path: Path) -> list[str]:
    nb = nbformat.read(path, as_version=4)
    return [c.source for c in nb.cells if c.cell_type == "markdown"]


def test_all_eight_notebooks_are_checked():
    assert [p.name[:2] for p in NOTEBOOKS] == ["00", "01", "02", "03", "04", "05", "06", "07"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_sections(path):
    text = "\n".join(_markdown(path))
    missing = [name for name, pattern in SECTIONS.items() if not re.search(pattern, text, re.M | re.I)]
    assert not missing, f"{path.name} lacks the section(s) {missing}"
    # The order a learner meets them: the header table first, the wrap-up last.
    where = {name: re.search(pattern, text, re.M | re.I).start() for name, pattern in SECTIONS.items()}
    assert where["objectives"] < where["time"] < where["cost"] < where["prerequisites"] < where["you should see"]
    assert where["you should see"] < where["what you learned"] and where["troubleshooting"] < where["what you learned"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_mermaid_diagram_highlights_this_step(path):
    blocks = re.findall(r"```mermaid\n(.*?)```", "\n".join(_markdown(path)), re.S)
    assert blocks, f"{path.name} has no Mermaid diagram"
    diagram = blocks[0]
    assert re.match(r"\s*(flowchart|graph) (LR|TD|TB|RL|BT)\b", diagram), f"{path.name}: not a Mermaid flowchart"
    assert re.search(r"^\s*classDef current ", diagram, re.M), f"{path.name}: no style for the current step"
    highlighted = re.search(r"^\s*class ([\w,]+) current\s*$", diagram, re.M)
    assert highlighted, f"{path.name}: the diagram highlights no node"
    nodes = set(re.findall(r"^\s*(\w+)\[", diagram, re.M))
    for node in highlighted.group(1).split(","):
        assert node in nodes, f"{path.name}: highlights {node!r}, which the diagram does not define"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_next_pointer(path):
    text = "\n".join(_markdown(path))
    index = NOTEBOOKS.index(path)
    if index == len(NOTEBOOKS) - 1:
        return  # 07 is the last step
    following = NOTEBOOKS[index + 1].name
    assert re.search(r"\*\*Next:?\*\*:?", text), f"{path.name} has no **Next:** pointer"
    assert f"({following})" in text, f"{path.name}'s next pointer should link {following}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_consistent_headings(path):
    cells = _markdown(path)
    titles = [line for cell in cells for line in cell.splitlines() if re.match(r"# ", line)]
    assert titles == [titles[0]] and re.match(rf"# {path.name[:2]} · \S", titles[0]), (
        f"{path.name}: one title `# {path.name[:2]} · ...`, in the first cell; found {titles}")
    assert cells[0].startswith(titles[0])
    steps = [m.group(1) for cell in cells for m in re.finditer(r"^## Step (\d+)\b", cell, re.M)]
    assert steps == [str(i) for i in range(1, len(steps) + 1)], f"{path.name}: steps numbered {steps}"
