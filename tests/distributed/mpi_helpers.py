"""Helpers for tests that start MPI jobs of their own from inside the test job."""
import os
import time


def polite_barrier():
    """A barrier that sleeps instead of spinning (while rank 0 runs subprocesses on shared cores)."""
    from mpi4py import MPI

    request = MPI.COMM_WORLD.Ibarrier()
    while not request.Test():
        time.sleep(0.01)


def mpi_env() -> dict:
    """The environment for a nested `mpiexec` started from inside this MPI job: without the
    outer launcher's variables (which would make the child join the wrong job)."""
    drop = ("PMI_", "PMIX_", "HYDRA_", "HYDI_", "MPI_LOCAL", "OMPI_", "MPIR_CVAR_CH3", "I_MPI_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    env["MPIR_CVAR_POLLS_BEFORE_YIELD"] = "10"  # more processes than cores: yield instead of spinning
    env["OMP_NUM_THREADS"] = "1"
    return env
