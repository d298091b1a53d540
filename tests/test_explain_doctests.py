"""The examples in the explain docstrings run and print what they say."""
import doctest
import importlib

import pytest

MODULES = ["table", "graph", "observe", "memo", "naive", "compare", "demo", "cost", "memory", "dot", "layers",
           "monitor", "cli", "trace", "replay", "rules", "layout", "svg", "page"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(f"memograd.explain.{name}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
