"""Triangular BLAS on the leading block of a larger C-ordered buffer, without copies.

The upper Cholesky factor ``U`` of the Newton solver lives in the leading ``m × m`` block of a
C-ordered buffer with spare capacity (so that features join and leave without reallocating);
its rows are contiguous, so the Givens rotations that remove a column run along contiguous
memory. In BLAS's column-major terms that buffer holds ``L = Uᵀ`` (lower) with leading
dimension = the buffer's row length. scipy's f2py wrappers would copy such a block at every
call; these call the same BLAS routines (``dtrsv``, ``dtrsm``, ``drot`` from
``scipy.linalg.cython_blas``, the BLAS scipy links) through ctypes with an explicit leading
dimension. Nothing is compiled.
"""

from __future__ import annotations

import ctypes
import logging
import math

import numpy as np
import scipy.linalg.cython_blas as _cython_blas
from scipy.linalg import qr_delete

logger = logging.getLogger(__name__)

__all__ = ["cholesky_delete", "trsm_upper_t", "trsv_upper"]

_get_name = ctypes.pythonapi.PyCapsule_GetName
_get_name.restype = ctypes.c_char_p
_get_name.argtypes = [ctypes.py_object]
_get_pointer = ctypes.pythonapi.PyCapsule_GetPointer
_get_pointer.restype = ctypes.c_void_p
_get_pointer.argtypes = [ctypes.py_object, ctypes.c_char_p]

_P = ctypes.c_void_p
_C = ctypes.c_char_p
_I = ctypes.POINTER(ctypes.c_int)


def _function(name: str, argtypes: list) -> ctypes._CFuncPtr:
    capsule = _cython_blas.__pyx_capi__[name]
    address = _get_pointer(capsule, _get_name(capsule))
    return ctypes.CFUNCTYPE(None, *argtypes)(address)


_dtrsv = _function("dtrsv", [_C, _C, _C, _I, _P, _I, _P, _I])
_drot = _function("drot", [_I, _P, _I, _P, _I, _P, _P])
_dtrsm = _function("dtrsm", [_C, _C, _C, _C, _I, _I, _P, _P, _I, _P, _I])
_U, _L, _N, _T = b"U", b"L", b"N", b"T"
#: a trailing block of at most this order is retriangularized by scipy's compiled
#: ``qr_delete`` (its Q, an identity of that order, costs O(t²) more); larger ones by the
#: rotation loop below (measured on bench_solver's machine: t = 120: 68 µs vs 340 µs; t = 500:
#: 1.2 ms vs 1.4 ms)
_COMPILED_TRAILING = 320


def _int(x: int) -> ctypes.c_int:
    return ctypes.c_int(int(x))


def _check(R: np.ndarray, m: int) -> None:
    if not (R.dtype == np.float64 and R.flags.c_contiguous and R.ndim == 2
            and m <= R.shape[0] and m <= R.shape[1]):
        raise ValueError("R must be a C-ordered float64 buffer of order >= m")


def trsv_upper(R: np.ndarray, m: int, x: np.ndarray, transpose: bool) -> None:
    """In place ``x ← U⁻¹ x`` (or ``U⁻ᵀ x`` with ``transpose``), ``U = R[:m, :m]`` upper
    triangular in a C-ordered buffer ``R``; ``x`` contiguous (m,)."""
    _check(R, m)
    if m == 0:
        return
    if not (x.dtype == np.float64 and x.flags.c_contiguous and x.shape == (m,)):
        raise ValueError("x must be a contiguous float64 vector of length m")
    # column-major view: L = Uᵀ; U⁻¹ = L⁻ᵀ, U⁻ᵀ = L⁻¹
    _dtrsv(_L, _N if transpose else _T, _N, ctypes.byref(_int(m)), R.ctypes.data,
           ctypes.byref(_int(R.shape[1])), x.ctypes.data, ctypes.byref(_int(1)))


def trsm_upper_t(R: np.ndarray, m: int, B: np.ndarray, transpose: bool = True) -> None:
    """In place ``B ← U⁻ᵀ B`` (``U⁻¹ B`` without ``transpose``) for ``U = R[:m, :m]`` upper
    triangular in a C-ordered buffer ``R`` and ``B`` Fortran-ordered (m, k)."""
    _check(R, m)
    if not (B.dtype == np.float64 and B.flags.f_contiguous and B.ndim == 2
            and B.shape[0] == m):
        raise ValueError("B must be a Fortran-ordered float64 (m, k) array")
    k = B.shape[1]
    if m == 0 or k == 0:
        return
    one = ctypes.c_double(1.0)
    _dtrsm(_L, _L, _N if transpose else _T, _N, ctypes.byref(_int(m)), ctypes.byref(_int(k)),
           ctypes.addressof(one), R.ctypes.data, ctypes.byref(_int(R.shape[1])), B.ctypes.data,
           ctypes.byref(_int(max(m, 1))))


def cholesky_delete(R: np.ndarray, m: int, k: int) -> None:
    """Remove column ``k`` from the upper Cholesky factor ``U = R[:m, :m]`` (C-ordered buffer),
    in place: afterwards ``R[:m-1, :m-1]ᵀ R[:m-1, :m-1]`` is ``UᵀU`` without row and column
    ``k``.

    The columns after ``k`` shift left, which leaves one entry below the diagonal in each;
    a Givens rotation of rows ``i, i+1`` clears each: ``O((m−k)²)`` flops, nothing to compile.
    Orthogonal, so ``RᵀR`` is unchanged. Up to ``_COMPILED_TRAILING`` trailing columns the
    rotations are scipy's compiled ``qr_delete`` on that block; beyond, a Python loop of BLAS
    ``drot`` along the contiguous rows."""
    _check(R, m)
    if not 0 <= k < m:
        raise ValueError(f"column {k} out of range for a factor of order {m}")
    t = m - k
    if 2 < t <= _COMPILED_TRAILING:
        # the same rotations on the trailing t × t block (rows < k only shift), compiled
        _, T = qr_delete(np.eye(t), R[k:m, k:m], 0, 1, "col", check_finite=False)
        flip = np.diag(T)[: t - 1] < 0.0  # keep a positive diagonal (RᵀR is unchanged)
        if flip.any():
            T[: t - 1][flip] *= -1.0
        R[:k, k:m - 1] = R[:k, k + 1:m].copy()
        R[k:m - 1, k:m - 1] = T[: t - 1]
        R[m - 1, :m] = 0.0
        return
    R[:m, k:m - 1] = R[:m, k + 1:m].copy()
    lda = R.shape[1]
    base = R.ctypes.data
    cells = (ctypes.c_double * (R.shape[0] * lda)).from_address(base)  # R's storage, no copy
    n_c, one_c = ctypes.c_int(0), ctypes.c_int(1)
    c_c, s_c = ctypes.c_double(0.0), ctypes.c_double(0.0)
    pn, pone, pc, ps = (ctypes.byref(x) for x in (n_c, one_c, c_c, s_c))
    rot = _drot
    hypot = math.hypot
    for i in range(k, m - 1):
        d = i * lda + i  # R[i, i]
        b = cells[d + lda]  # R[i + 1, i]
        if b == 0.0:
            continue
        a = cells[d]
        h = hypot(a, b)
        cells[d] = h
        cells[d + lda] = 0.0
        n = m - 2 - i
        if n > 0:
            n_c.value = n
            c_c.value = a / h
            s_c.value = b / h
            x = base + 8 * (d + 1)
            rot(pn, x, pone, x + 8 * lda, pone, pc, ps)
    R[m - 1, :m] = 0.0
