"""`python -m memograd.explain cost --depth 1..6`: the explain commands without the main CLI."""
import sys

from .cli import main

sys.exit(main())
