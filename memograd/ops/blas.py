"""NumPy's own BLAS matrix product, callable from inside a compiled loop (memograd.loops).

An LSTM's time loop alternates a small matrix product with a compiled loop over the gates, 35
steps a layer at W7's size, 140 a training step. Called from Python, each step costs some 4 us
of calls around the work (NumPy's matmul, the compiled loop's argument checks, the views of
the step's blocks): 0.6 ms a W7 step. Inside one compiled loop the product is a direct call of
the same `cblas_sgemm` that NumPy's matmul makes, on the same library and its threads: same
kernel, same bits (tests/test_blas.py), no interpreter between the steps. NumPy multiplies a matrix
by a vector (a dimension of 1) with gemv instead, which rounds differently: callers that must
give NumPy's bits keep those shapes to NumPy.

The library is the one NumPy loaded, found in the process's memory map by the 64-bit-integer
(ILP64) CBLAS symbol that NumPy's wheels export (`scipy_cblas_sgemm64_`, older wheels
`cblas_sgemm64_`). Its address is given to LLVM under a fixed name, so that a loop compiled
and cached by one process links to this process's copy. Where there is no such library
(another BLAS, no /proc on macOS) or no Numba, `available()` is False and ops keep their
Python loops."""
from __future__ import annotations

import ctypes
import os
import threading

import numpy as np

from .. import loops

SYMBOLS = ("scipy_cblas_sgemm64_", "cblas_sgemm64_")  # ILP64 CBLAS sgemm, as NumPy's wheels name it
LINKED_NAME = "memograd_cblas_sgemm64"
ROW_MAJOR, NO_TRANS, TRANS = 101, 111, 112  # CBLAS enum values
_ONE, _ZERO = np.float32(1), np.float32(0)

_sgemm = None  # the external function, typed for Numba, once linked
_state = None  # None: not looked for yet; then True or False
_lock = threading.Lock()


def available() -> bool:
    """True when loops are compiled and NumPy's ILP64 sgemm is linked for them (looked for once)."""
    global _state, _sgemm
    if _state is None:
        with _lock:
            if _state is None:
                address = _numpy_sgemm_address() if loops.available() else None
                if address is not None:
                    import llvmlite.binding as llvm
                    from numba import types

                    llvm.add_symbol(LINKED_NAME, address)
                    i32, i64, f32, ptr = types.int32, types.int64, types.float32, types.voidptr
                    _sgemm = types.ExternalFunction(
                        LINKED_NAME, types.void(i32, i32, i32, i64, i64, i64, f32, ptr, i64, ptr, i64, f32, ptr, i64))
                _state = address is not None
    return _state


def _numpy_sgemm_address():
    """The address of ILP64 sgemm in the BLAS library NumPy loaded (NumPy's own first), or None."""
    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split(None, 5)[5].strip() for line in maps if len(line.split(None, 5)) == 6}
    except OSError:
        return None
    numpy_dir = os.path.dirname(np.__file__)  # its wheels' libraries lie beside it, in numpy.libs
    candidates = (p for p in paths if "blas" in os.path.basename(p).lower() and ".so" in p)
    for path in sorted(candidates, key=lambda p: (not p.startswith(numpy_dir), p)):
        try:
            library = ctypes.CDLL(path)  # already loaded by NumPy: the same copy, not a second one
        except OSError:
            continue
        for symbol in SYMBOLS:
            function = getattr(library, symbol, None)
            if function is not None:
                return ctypes.cast(function, ctypes.c_void_p).value
    return None


@loops.loop
def matmul_into(a, b, out):
    """out = a @ b for C-contiguous float32 matrices a (M, K), b (K, N), out (M, N)."""
    m, k = a.shape
    n = b.shape[1]
    _sgemm(ROW_MAJOR, NO_TRANS, NO_TRANS, m, n, k, _ONE, a.ctypes.data, k, b.ctypes.data, n, _ZERO, out.ctypes.data, n)


@loops.loop
def transposed_matmul_into(a, b, out):
    """out = a.T @ b for C-contiguous float32 matrices a (K, M), b (K, N), out (M, N)."""
    k, m = a.shape
    n = b.shape[1]
    _sgemm(ROW_MAJOR, TRANS, NO_TRANS, m, n, k, _ONE, a.ctypes.data, m, b.ctypes.data, n, _ZERO, out.ctypes.data, n)
