"""The core stays readable in one sitting: tensor, engine and node together hold at most 500
lines of code (docstrings and comments not counted), and no file of the package passes 400 lines."""
import ast
import io
import pathlib
import tokenize

PACKAGE = pathlib.Path(__file__).resolve().parent.parent / "memograd"
CORE = ("tensor.py", "autograd/engine.py", "autograd/function.py")


def code_lines(source: str) -> int:
    """Lines holding code: not blank, not only a comment, not part of a docstring."""
    docstrings = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            first = node.body[0] if node.body else None
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
                docstrings.update(range(first.lineno, first.end_lineno + 1))
    skipped = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER}
    lines = set()
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type not in skipped:
            lines.update(n for n in range(token.start[0], token.end[0] + 1) if n not in docstrings)
    return len(lines)


def test_code_lines_counts_only_code():
    source = '"""Doc\nstring."""\n# a comment\n\ndef f(x):\n    """Doc."""\n    return (x +\n            1)  # why\n'
    assert code_lines(source) == 3


def test_the_core_is_at_most_500_lines_of_code():
    counts = {name: code_lines((PACKAGE / name).read_text()) for name in CORE}
    assert sum(counts.values()) <= 500, counts


def test_no_file_of_the_package_passes_400_lines():
    long = {str(p.relative_to(PACKAGE)): n for p in PACKAGE.rglob("*.py") if (n := len(p.read_text().splitlines())) > 400}
    assert not long, long
