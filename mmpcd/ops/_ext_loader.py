"""Loading of the compiled extension ``mmpcd._ext`` and choice of implementation.

Every op has three implementations behind one API: ``'pytorch'`` (the reference, always
there), ``'cpu'`` (C++ kernels) and ``'cuda'`` (CUDA kernels), both in ``mmpcd._ext``.
``impl='auto'`` picks the compiled kernel for the tensors' device when it is built and trusted,
else the reference. This module imports torch only.
"""
import warnings
from types import ModuleType
from typing import Optional

import torch

IMPLS = ('auto', 'pytorch', 'cpu', 'cuda')

# CUDA kernels that passed the op tests (tests/test_ops) on a real GPU (H100, torch 2.11 +
# CUDA 13.0, 2026-11-22); a kernel added later stays experimental, and impl='auto' does not
# choose it, until it has too (see docs/en/advanced/ops.md).
CUDA_VALIDATED_OPS = frozenset(
    {'coord_distance', 'pixel_propagation', 'dense_argmax_match', 'masked_pair_cosine'})

_EXT: Optional[ModuleType] = None
_EXT_LOADED = False


def load_ext() -> Optional[ModuleType]:
    """``mmpcd._ext`` if it was built, else None (with one warning per process)."""
    global _EXT, _EXT_LOADED
    if not _EXT_LOADED:
        _EXT_LOADED = True
        try:
            from mmpcd import _ext
            _EXT = _ext
        except ImportError as error:
            warnings.warn(
                f'mmpcd._ext is not available ({error}); mmpcd.ops falls back to the PyTorch '
                'reference implementations. Build the kernels with `make setup` or '
                '`python setup.py build_ext --inplace` in the repository (needs a C++ '
                'compiler; CUDA kernels also need nvcc or FORCE_CUDA=1).')
    return _EXT


def ext_has_cuda() -> bool:
    """Whether ``mmpcd._ext`` was compiled with its CUDA kernels."""
    ext = load_ext()
    return ext is not None and bool(ext.with_cuda())


def resolve_impl(impl: str, op: str, tensor: torch.Tensor) -> str:
    """The implementation that runs ``op`` on ``tensor``'s device for the requested ``impl``.

    Raises a ``ValueError``/``RuntimeError`` that says what to do when an explicitly requested
    implementation cannot run.
    """
    if impl not in IMPLS:
        raise ValueError(f'impl must be one of {IMPLS}, got {impl!r}.')
    if impl == 'pytorch':
        return 'pytorch'
    device = tensor.device.type
    if impl == 'auto':
        if device == 'cpu' and load_ext() is not None:
            return 'cpu'
        if device == 'cuda' and op in CUDA_VALIDATED_OPS and ext_has_cuda():
            return 'cuda'
        return 'pytorch'
    if device != impl:
        raise ValueError(f"{op}: impl='{impl}' needs {impl} tensors, got tensors on {device}.")
    if load_ext() is None:
        raise RuntimeError(f"{op}: impl='{impl}' needs mmpcd._ext, which is not built. Run "
                           '`python setup.py build_ext --inplace` (or `make setup`), or use '
                           'impl="pytorch".')
    if impl == 'cuda' and not ext_has_cuda():
        raise RuntimeError(f"{op}: mmpcd._ext was built without CUDA kernels. Rebuild on a "
                           'machine with a CUDA torch and nvcc (or FORCE_CUDA=1).')
    return impl
