"""Loading of the compiled extension ``mmpcd._ext`` (imports torch only, through it).

Which implementation an op runs is decided in :mod:`mmpcd.ops.dispatch`.
"""

import warnings
from types import ModuleType
from typing import Optional

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
                'compiler; CUDA kernels also need nvcc or FORCE_CUDA=1).'
            )
    return _EXT


def ext_has_cuda() -> bool:
    """Whether ``mmpcd._ext`` was compiled with its CUDA kernels."""
    ext = load_ext()
    return ext is not None and bool(ext.with_cuda())
