"""`python -m memograd ...` is the `memograd` command (also under `mpiexec -n N python -m mpi4py -m memograd`)."""
import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
