"""`python -m memograd` is the `memograd` command (it is how `mpiexec ... python -m mpi4py -m memograd` runs it)."""
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_python_dash_m_memograd_runs_the_cli():
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "memograd", "train", "--help"], capture_output=True, text=True,
                          env=env, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert "--resume" in done.stdout
    bad = subprocess.run([sys.executable, "-m", "memograd", "train", "--dataset", "nonesuch", "--quiet"],
                         capture_output=True, text=True, env=env, timeout=60, check=False)
    assert bad.returncode == 1 and "memograd train: error" in bad.stderr
