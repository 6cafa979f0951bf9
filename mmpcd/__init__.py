"""mmpcd: pixel-level self-supervised pre-training and distillation on OpenMMLab 2.0."""
from .utils.compat import apply_compat_patches
from .utils.version_check import check_dependency_versions
from .version import __version__, version_info

check_dependency_versions()
apply_compat_patches()

__all__ = ['__version__', 'version_info']
