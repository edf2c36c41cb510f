"""Triangular BLAS on the leading block of a larger C-ordered buffer, without copies.

The upper Cholesky factor ``U`` of the Newton solver lives in the leading ``m × m`` block of a
C-ordered buffer with spare capacity (so that features join and leave without reallocating);
its rows are contiguous, so the Givens rotations that remove a column run along contiguous
memory. In BLAS's column-major terms that buffer holds ``L = Uᵀ`` (lower) with leading
dimension = the buffer's row length. scipy's f2py wrappers would copy such a block at every
call; these call the same routines (``dtrsv``, ``dtrsm`` from ``scipy.linalg.cython_blas``,
``dlasr`` from ``scipy.linalg.cython_lapack``: the BLAS and LAPACK scipy links) through ctypes
with an explicit leading dimension. Nothing is compiled.
"""

from __future__ import annotations

import ctypes
import logging
import math

import numpy as np
import scipy.linalg.cython_blas as _cython_blas
import scipy.linalg.cython_lapack as _cython_lapack

logger = logging.getLogger(__name__)

__all__ = ["cholesky_delete", "cholesky_upper", "compact_square", "trmv_upper", "trsm_upper_t",
           "trsv_upper"]

_get_name = ctypes.pythonapi.PyCapsule_GetName
_get_name.restype = ctypes.c_char_p
_get_name.argtypes = [ctypes.py_object]
_get_pointer = ctypes.pythonapi.PyCapsule_GetPointer
_get_pointer.restype = ctypes.c_void_p
_get_pointer.argtypes = [ctypes.py_object, ctypes.c_char_p]

_P = ctypes.c_void_p
_C = ctypes.c_char_p
_I = ctypes.POINTER(ctypes.c_int)


def _function(module, name: str, argtypes: list) -> ctypes._CFuncPtr:
    capsule = module.__pyx_capi__[name]
    address = _get_pointer(capsule, _get_name(capsule))
    return ctypes.CFUNCTYPE(None, *argtypes)(address)


_dtrsv = _function(_cython_blas, "dtrsv", [_C, _C, _C, _I, _P, _I, _P, _I])
_dtrmv = _function(_cython_blas, "dtrmv", [_C, _C, _C, _I, _P, _I, _P, _I])
_dtrsm = _function(_cython_blas, "dtrsm", [_C, _C, _C, _C, _I, _I, _P, _P, _I, _P, _I])
_dlasr = _function(_cython_lapack, "dlasr", [_C, _C, _C, _I, _I, _P, _P, _P, _I])
_dpotrf = _function(_cython_lapack, "dpotrf", [_C, _I, _P, _I, _I])
_dlaset = _function(_cython_lapack, "dlaset", [_C, _I, _I, _P, _P, _P, _I])
_R, _V, _F = b"R", b"V", b"F"
_U, _L, _N, _T = b"U", b"L", b"N", b"T"
#: rotations of :func:`cholesky_delete` computed per panel of this many columns (Python floats
#: on the panel's small block) before LAPACK ``dlasr`` applies them to the rest of the rows
_PANEL = 8


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


def trmv_upper(R: np.ndarray, m: int, x: np.ndarray, transpose: bool) -> None:
    """In place ``x ← U x`` (or ``Uᵀ x`` with ``transpose``), ``U = R[:m, :m]`` upper
    triangular in a C-ordered buffer ``R`` (what lies below its diagonal is not read); ``x``
    contiguous (m,)."""
    _check(R, m)
    if m == 0:
        return
    if not (x.dtype == np.float64 and x.flags.c_contiguous and x.shape == (m,)):
        raise ValueError("x must be a contiguous float64 vector of length m")
    # column-major view: L = Uᵀ; U = Lᵀ, Uᵀ = L
    _dtrmv(_L, _N if transpose else _T, _N, ctypes.byref(_int(m)), R.ctypes.data,
           ctypes.byref(_int(R.shape[1])), x.ctypes.data, ctypes.byref(_int(1)))


def cholesky_upper(R: np.ndarray, m: int) -> bool:
    """In place: the symmetric positive definite matrix in ``R[:m, :m]`` (C-ordered buffer)
    becomes its upper Cholesky factor ``U`` (``UᵀU`` = the matrix, zeros below the diagonal),
    by LAPACK ``dpotrf`` on the buffer, without copies. Returns False (the block then holds
    no factor) when the matrix is not numerically positive definite."""
    _check(R, m)
    if m == 0:
        return True
    info = ctypes.c_int(0)
    # column-major view: the (symmetric) matrix itself; its lower factor L is Uᵀ
    _dpotrf(_L, ctypes.byref(_int(m)), R.ctypes.data, ctypes.byref(_int(R.shape[1])),
            ctypes.byref(info))
    if info.value != 0:
        return False
    if m > 1:  # zeros below U's diagonal: the column-major view's triangle above its diagonal
        zero = ctypes.c_double(0.0)
        lda = R.shape[1]
        _dlaset(_U, ctypes.byref(_int(m - 1)), ctypes.byref(_int(m - 1)),
                ctypes.addressof(zero), ctypes.addressof(zero), R.ctypes.data + 8 * lda,
                ctypes.byref(_int(lda)))
    return True


def trsm_upper_t(R: np.ndarray, m: int, B: np.ndarray, transpose: bool = True,
                 start: int = 0) -> None:
    """In place ``B ← U⁻ᵀ B`` (``U⁻¹ B`` without ``transpose``) for ``U = R[s:s+m, s:s+m]``
    (``s = start``) upper triangular in a C-ordered buffer ``R`` and ``B`` Fortran-ordered
    (m, k)."""
    _check(R, start + m)
    if not (B.dtype == np.float64 and B.flags.f_contiguous and B.ndim == 2
            and B.shape[0] == m):
        raise ValueError("B must be a Fortran-ordered float64 (m, k) array")
    k = B.shape[1]
    if m == 0 or k == 0:
        return
    one = ctypes.c_double(1.0)
    lda = R.shape[1]
    _dtrsm(_L, _L, _N if transpose else _T, _N, ctypes.byref(_int(m)), ctypes.byref(_int(k)),
           ctypes.addressof(one), R.ctypes.data + 8 * start * (lda + 1), ctypes.byref(_int(lda)),
           B.ctypes.data, ctypes.byref(_int(max(m, 1))))


def cholesky_delete(R: np.ndarray, m: int, k: int, Z: np.ndarray | None = None,
                    z_cols: int | None = None) -> np.ndarray | None:
    """Remove column ``k`` from the upper Cholesky factor ``U = R[:m, :m]`` (C-ordered buffer),
    in place: afterwards ``R[:m-1, :m-1]ᵀ R[:m-1, :m-1]`` is ``UᵀU`` without row and column
    ``k``.

    The columns after ``k`` shift left, which leaves one entry below the diagonal in each;
    a Givens rotation of rows ``i, i+1`` clears each: ``O((m−k)²)`` flops, nothing to compile.
    Orthogonal, so ``RᵀR`` is unchanged. Blocked: the rotations of a panel of ``_PANEL``
    columns are computed on that panel alone (Python floats, the diagonal kept positive), then
    LAPACK ``dlasr`` applies the panel's rotations to the rest of its rows along their
    contiguous memory: one compiled call per panel instead of one BLAS call per rotation.

    ``Z`` (C-ordered float64, at least ``m`` rows, any number ``q`` of columns): forward solves
    ``Z[:m] = U⁻ᵀ B`` kept through the removal: the same rotations are applied to its rows, so
    that afterwards ``Z[:m-1]`` is the new factor's ``U⁻ᵀ B`` for ``B`` without row ``k``
    (``O(q (m−k))``). ``z_cols``: only ``Z``'s leading columns are rotated (the rest must be
    zero, which rotations keep), default all. Returns the row the rotations moved out of
    ``Z`` (its leading ``z_cols`` entries, before row ``m − 1`` is zeroed; None without ``Z``):
    the rotations are orthogonal, so ``Z[:m-1]ᵀ Z[:m-1]`` is the old ``Z[:m]ᵀ Z[:m]`` minus
    that row's outer product."""
    _check(R, m)
    if not 0 <= k < m:
        raise ValueError(f"column {k} out of range for a factor of order {m}")
    if Z is not None and not (Z.dtype == np.float64 and Z.flags.c_contiguous and Z.ndim == 2
                              and Z.shape[0] >= m and Z.shape[1] >= 1):
        raise ValueError("Z must be a C-ordered float64 (>= m, q) array")
    R[:m, k:m - 1] = R[:m, k + 1:m].copy()
    lda = R.shape[1]
    base = R.ctypes.data
    zbase = Z.ctypes.data if Z is not None else 0
    cs = np.zeros(_PANEL)
    sn = np.zeros(_PANEL)
    pcs, psn = cs.ctypes.data, sn.ctypes.data
    m_c, n_c = ctypes.c_int(0), ctypes.c_int(0)
    q = Z.shape[1] if Z is not None else 1
    qr = q if z_cols is None else z_cols
    if not 1 <= qr <= q:
        raise ValueError(f"z_cols must be in 1..{q}, got {z_cols}")
    lda_c, q_c, qr_c = ctypes.c_int(lda), ctypes.c_int(q), ctypes.c_int(qr)
    pm, pn, plda, pq, pqr = (ctypes.byref(x) for x in (m_c, n_c, lda_c, q_c, qr_c))
    hypot = math.hypot
    last = m - 1  # the rotations clear R[i + 1, i] for i = k .. m-2
    for j0 in range(k, last, _PANEL):
        j1 = min(j0 + _PANEL, last)
        nb = j1 - j0
        P = R[j0:j1 + 1, j0:j1].tolist()  # rows j0..j1 of the panel's columns
        for jj in range(nb):
            a, b = P[jj][jj], P[jj + 1][jj]
            h = hypot(a, b)
            if h == 0.0:
                c, s = 1.0, 0.0
            else:
                c, s = a / h, b / h
            cs[jj] = c
            sn[jj] = s
            P[jj][jj] = h
            P[jj + 1][jj] = 0.0
            x, y = P[jj], P[jj + 1]
            for col in range(jj + 1, nb):
                xv, yv = x[col], y[col]
                x[col] = c * xv + s * yv
                y[col] = c * yv - s * xv
        R[j0:j1 + 1, j0:j1] = P
        n_c.value = nb + 1
        trailing = m - 1 - j1  # columns j1 .. m-2 of rows j0 .. j1
        if trailing > 0:  # column-major view: R's rows are columns, ld = lda
            m_c.value = trailing
            _dlasr(_R, _V, _F, pm, pn, pcs, psn, base + 8 * (j0 * lda + j1), plda)
        if zbase:  # Zᵀ column-major: its leading qr rows, ld = q
            _dlasr(_R, _V, _F, pqr, pn, pcs, psn, zbase + 8 * q * j0, pq)
    R[m - 1, :m] = 0.0
    if Z is None:
        return None
    out = Z[m - 1, :qr].copy()
    Z[m - 1] = 0.0
    return out


def compact_square(A: np.ndarray, m: int, gone: np.ndarray) -> int:
    """Delete rows and columns ``gone`` (ascending, distinct, within ``m``) of the leading
    ``m × m`` block of the C-ordered buffer ``A``, in place: afterwards its leading ``n × n``
    block (``n = m − len(gone)``, returned) is ``A[keep][:, keep]`` of before. The kept runs
    between deleted indices move as slices (contiguous row runs, then column runs): no index
    grid, and nothing before the first deleted index is touched."""
    _check(A, m)
    gone = np.asarray(gone, dtype=np.int64)
    if gone.size == 0:
        return m
    if gone[0] < 0 or gone[-1] >= m or np.any(np.diff(gone) <= 0):
        raise ValueError("gone must be ascending distinct indices below m")
    ends = np.append(gone[1:], m)
    dst = int(gone[0])
    runs = []
    for g, e in zip(gone.tolist(), ends.tolist(), strict=True):
        if e > g + 1:
            runs.append((dst, g + 1, e))
            dst += e - g - 1
    n = dst
    for d, a, e in runs:  # rows first (full width m), then columns of the kept rows
        A[d:d + e - a, :m] = A[a:e, :m]
    for d, a, e in runs:
        A[:n, d:d + e - a] = A[:n, a:e]
    return n
