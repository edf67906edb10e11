"""House style of the notebooks: the library decides, the notebook shows the steps.

Budget per notebook (issue 13): at most 150 lines of code (markdown cells, comments and blank lines
aside), no function, lambda or class defined, and at most 5 ``if`` (conditional expressions included).
Counted on the paired py:percent script with Python's tokenizer, so an ``if`` inside a string or a
comment does not count.
"""

from __future__ import annotations

import io
import tokenize
from pathlib import Path

import jupytext
import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.py"))
MAX_CODE_LINES = 150
MAX_IFS = 5


def notebook_budget(source_cells: list[str]) -> dict[str, int]:
    """Code lines, ``if`` tokens and definitions (def / class / lambda) in the given code cells."""
    code_lines = ifs = definitions = 0
    for source in source_cells:
        lines = set()
        for token in tokenize.generate_tokens(io.StringIO(source + "\n").readline):
            if token.type in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT,
                              tokenize.DEDENT, tokenize.ENDMARKER):
                continue
            lines.update(range(token.start[0], token.end[0] + 1))
            if token.type == tokenize.NAME and token.string == "if":
                ifs += 1
            if token.type == tokenize.NAME and token.string in ("def", "class", "lambda"):
                definitions += 1
        code_lines += len(lines)
    return {"code_lines": code_lines, "ifs": ifs, "definitions": definitions}


def _code_cells(path: Path) -> list[str]:
    notebook = jupytext.read(path)
    return [cell.source for cell in notebook.cells if cell.cell_type == "code"]


def test_budget_counts_a_hand_case():
    cells = ["x = 1  # if in a comment\n\n'if in a string'\ny = 2 if x else 3\n",
             "if x:\n    z = [\n        1,\n    ]\ndef f():\n    return 1\n"]
    assert notebook_budget(cells) == {"code_lines": 9, "ifs": 2, "definitions": 1}


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: p.stem)
def test_notebook_within_budget(path):
    budget = notebook_budget(_code_cells(path))
    assert budget["definitions"] == 0, f"{path.name}: define functions and classes in lib/agrocluster, not here"
    assert budget["code_lines"] <= MAX_CODE_LINES, f"{path.name}: {budget['code_lines']} code lines > {MAX_CODE_LINES}"
    assert budget["ifs"] <= MAX_IFS, f"{path.name}: {budget['ifs']} if > {MAX_IFS}"
