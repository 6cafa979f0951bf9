"""mmpcd: pixel-level self-supervised pre-training and distillation on OpenMMLab 2.0."""

from importlib.util import find_spec

from .utils.version_check import check_dependency_versions
from .version import __version__, version_info

check_dependency_versions()
if find_spec('mmengine') is not None:
    # `_base_ = 'mmpcd::pixpro/...py'` in other projects' configs (parsed after this import).
    from .utils.config_package import register_config_package

    register_config_package()

__all__ = ['__version__', 'version_info']
