"""House rules of the web app that a reviewer should not have to count by hand."""

from __future__ import annotations

import ast
from pathlib import Path

SEARCH_UI = Path(__file__).resolve().parents[1] / "search_ui"
MAX_FUNCTION_LINES = 60


def functions(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node


def test_no_function_in_search_ui_is_longer_than_60_lines():
    modules = sorted(SEARCH_UI.rglob("*.py"))
    assert len(modules) >= 10  # the package was found
    too_long = {
        f"{module.relative_to(SEARCH_UI)}:{node.lineno} {node.name}": length
        for module in modules
        for node in functions(ast.parse(module.read_text(), str(module)))
        if (length := node.end_lineno - node.lineno + 1) > MAX_FUNCTION_LINES
    }
    assert too_long == {}


def test_the_length_check_counts_decorators_out_and_the_whole_body_in():
    source = "@decorator\ndef f():\n" + "    x = 1\n" * 61
    [node] = functions(ast.parse(source))
    assert node.end_lineno - node.lineno + 1 == 62
