"""Make ``mmpcd::`` config references resolve in mmengine (as ``mmdet::`` or ``mmseg::``)."""

import functools
import os.path as osp

MMPCD_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def register_config_package() -> None:
    """Add mmpcd to mmengine's map of packages whose configs ``pkg::path`` may name.

    mmengine resolves ``_base_ = 'mmpcd::pcd/x.py'`` through ``mmpcd/.mim/configs`` (and the
    metafiles of ``mmpcd/.mim/model-index.yml``) once ``mmpcd`` is in that map. The map is
    read while a config is parsed, i.e. before its ``custom_imports`` run: import mmpcd first
    (mmpcd's tools do; elsewhere ``python -c 'import mmpcd; ...'`` or an import in the
    launching script).

    mmengine 0.10.7 locates a package through its distribution's ``location``, which for an
    editable install is ``site-packages`` rather than the source tree; mmpcd's own path is
    therefore answered from the imported package.
    """
    from mmengine.config import config as config_module
    from mmengine.config import utils as config_utils

    config_utils.MODULE2PACKAGE.setdefault('mmpcd', 'mmpcd')
    config_utils.PKG2PROJECT.setdefault('mmpcd', 'mmpcd')
    original = config_module.get_installed_path
    if getattr(original, 'knows_mmpcd', False):
        return

    @functools.wraps(original)
    def get_installed_path(package: str) -> str:
        return MMPCD_ROOT if package == 'mmpcd' else original(package)

    get_installed_path.knows_mmpcd = True
    config_module.get_installed_path = get_installed_path


def model_config_of(cfg_path: str):
    """The ``model`` of the config ``cfg_path`` (a file, or ``pkg::path`` of an installed
    OpenMMLab package, built in that package's scope), as mmrazor's ``dict(cfg_path=...)``
    names a whole model. Returns a ``ConfigDict``."""
    from mmengine.config import Config
    from mmengine.hub import get_config

    if '::' not in cfg_path:
        return Config.fromfile(cfg_path).model
    model = get_config(cfg_path).model
    model.setdefault('_scope_', cfg_path.split('::')[0])
    return model
