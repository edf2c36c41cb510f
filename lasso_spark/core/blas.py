"""Triangular BLAS on the leading block of a larger Fortran-ordered buffer, without copies.

scipy's f2py wrappers copy any array that is not contiguous, so a factor kept in a buffer with
spare capacity (``lda`` > its order) would be copied at every solve. These wrappers call the
same BLAS routines (``dtrsv``, ``dtrsm``; from ``scipy.linalg.cython_blas``, the BLAS scipy
links) through ctypes with an explicit leading dimension. Nothing is compiled.
"""

from __future__ import annotations

import ctypes
import logging

import numpy as np
import scipy.linalg.cython_blas as _cython_blas

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


def _int(x: int) -> ctypes.c_int:
    return ctypes.c_int(int(x))


def _check(R: np.ndarray, m: int) -> None:
    if not (R.dtype == np.float64 and R.flags.f_contiguous and R.ndim == 2
            and m <= R.shape[0] and m <= R.shape[1]):
        raise ValueError("R must be a Fortran-ordered float64 buffer of order >= m")


def trsv_upper(R: np.ndarray, m: int, x: np.ndarray, transpose: bool) -> None:
    """In place ``x ← U⁻¹ x`` (or ``U⁻ᵀ x`` with ``transpose``), ``U = R[:m, :m]`` upper
    triangular, ``R`` Fortran-ordered with any leading dimension; ``x`` contiguous (m,)."""
    _check(R, m)
    if m == 0:
        return
    if not (x.dtype == np.float64 and x.flags.c_contiguous and x.shape == (m,)):
        raise ValueError("x must be a contiguous float64 vector of length m")
    _dtrsv(_U, _T if transpose else _N, _N, ctypes.byref(_int(m)), R.ctypes.data,
           ctypes.byref(_int(R.shape[0])), x.ctypes.data, ctypes.byref(_int(1)))


def trsm_upper_t(R: np.ndarray, m: int, B: np.ndarray) -> None:
    """In place ``B ← U⁻ᵀ B`` for ``U = R[:m, :m]`` upper triangular (``R`` Fortran order, any
    leading dimension) and ``B`` Fortran-ordered (m, k)."""
    _check(R, m)
    if not (B.dtype == np.float64 and B.flags.f_contiguous and B.ndim == 2
            and B.shape[0] == m):
        raise ValueError("B must be a Fortran-ordered float64 (m, k) array")
    k = B.shape[1]
    if m == 0 or k == 0:
        return
    one = ctypes.c_double(1.0)
    _dtrsm(_L, _U, _T, _N, ctypes.byref(_int(m)), ctypes.byref(_int(k)), ctypes.addressof(one),
           R.ctypes.data, ctypes.byref(_int(R.shape[0])), B.ctypes.data,
           ctypes.byref(_int(max(m, 1))))


def cholesky_delete(R: np.ndarray, m: int, k: int) -> None:
    """Remove column ``k`` from the upper Cholesky factor ``U = R[:m, :m]`` (``R`` Fortran
    order, any leading dimension), in place: afterwards ``R[:m-1, :m-1]ᵀ R[:m-1, :m-1]`` is
    ``UᵀU`` without row and column ``k``.

    The columns after ``k`` shift left, which leaves one entry below the diagonal in each;
    a Givens rotation of rows ``i, i+1`` (BLAS ``drot`` along the rows, stride ``lda``) clears
    each, ``O((m−k)·m)`` flops and nothing to compile. Orthogonal, so ``RᵀR`` is unchanged."""
    _check(R, m)
    if not 0 <= k < m:
        raise ValueError(f"column {k} out of range for a factor of order {m}")
    R[:m, k:m - 1] = R[:m, k + 1:m].copy()
    lda = R.shape[0]
    base = R.ctypes.data
    inc = ctypes.byref(_int(lda))
    for i in range(k, m - 1):
        b = float(R[i + 1, i])
        if b == 0.0:
            continue
        a = float(R[i, i])
        h = float(np.hypot(a, b))
        c, s = a / h, b / h
        R[i, i] = h
        R[i + 1, i] = 0.0
        n = m - 2 - i
        if n > 0:
            x = base + 8 * (i + (i + 1) * lda)
            _drot(ctypes.byref(_int(n)), x, inc, x + 8, inc,
                  ctypes.byref(ctypes.c_double(c)), ctypes.byref(ctypes.c_double(s)))
    R[m - 1, :m] = 0.0
