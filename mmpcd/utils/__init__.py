"""Cross-cutting helpers: registration, dependency checks, the one checkpoint reader.

Names are imported lazily so that ``import mmpcd`` (and ``mmpcd.ops``) needs torch alone: the
ops can then be built and tested on a machine without mmengine/mmcv/mmpretrain.
"""

import importlib
from typing import Any

from .version_check import check_dependency_versions

_LAZY_NAMES = {
    'register_all_modules': '.setup_env',
    'read_checkpoint': '.checkpoint',
    'UntrustedCheckpointError': '.checkpoint',
    'CorruptCheckpointError': '.checkpoint',
}

__all__ = ['check_dependency_versions', *_LAZY_NAMES]


def __getattr__(name: str) -> Any:
    if name in _LAZY_NAMES:
        return getattr(importlib.import_module(_LAZY_NAMES[name], __name__), name)
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
