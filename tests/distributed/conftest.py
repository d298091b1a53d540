"""The distributed tests run only inside an MPI job of 2 or more processes:

    mpiexec -n 2 python -m mpi4py -m pytest -q tests/distributed

Anywhere else (the main suite's plain `pytest`) they are skipped. Every process runs every test;
a test that fails on one process aborts the whole job at once (printing the failure first)
instead of leaving the other processes waiting in their next collective."""
import os
import sys
import time

import pytest


def world_size() -> int:
    """The MPI job's size, read from the launcher's variables (MPI itself is not started here)."""
    from memograd.distributed import is_available, launched_by_mpi

    if not (launched_by_mpi() and is_available()):
        return 1
    from mpi4py import MPI

    return MPI.COMM_WORLD.Get_size()


WORLD = world_size()


def pytest_collection_modifyitems(config, items):
    if WORLD >= 2:
        same_tests_everywhere(items)
        return
    skip = pytest.mark.skip(reason="needs an MPI job of 2+ processes: "
                                   "mpiexec -n 2 python -m mpi4py -m pytest tests/distributed")
    here = os.path.dirname(__file__)
    for item in items:
        if str(item.fspath).startswith(here):
            item.add_marker(skip)


def same_tests_everywhere(items) -> None:
    """Every process must run the same tests in the same order (their collectives pair up):
    a plugin that reorders tests per process (pytest-randomly without -p no:randomly) would hang."""
    from mpi4py import MPI

    ids = [item.nodeid for item in items]
    if any(theirs != ids for theirs in MPI.COMM_WORLD.allgather(ids)):
        print("the MPI processes collected different tests or orders; run with -p no:randomly",
              file=sys.stderr, flush=True)
        MPI.COMM_WORLD.Abort(2)


def pytest_runtest_logreport(report):
    if WORLD >= 2 and report.failed:
        from mpi4py import MPI

        rank = MPI.COMM_WORLD.Get_rank()
        print(f"\n[rank {rank}] {report.nodeid} FAILED ({report.when}):\n{report.longreprtext}",
              file=sys.stderr, flush=True)
        time.sleep(0.5)  # let the other processes print theirs too
        MPI.COMM_WORLD.Abort(1)


@pytest.fixture(scope="session", autouse=True)
def process_group():
    if WORLD < 2:
        yield None
        return
    import memograd.distributed as dist

    dist.init_process_group("mpi")
    yield dist
    dist.barrier()
    dist.destroy_process_group()
