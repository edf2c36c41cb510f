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

__all__ = ["trsm_upper_t", "trsv_upper"]

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
