"""Building sub-modules of mmpcd's algorithms from mmpcd's registry."""
from typing import Optional, Union

import torch.nn as nn

from mmpcd.registry import MODELS


def build_module(cfg: Union[dict, nn.Module, None]) -> Optional[nn.Module]:
    """A module from its config, a module kept as is, or None for None."""
    return cfg if cfg is None or isinstance(cfg, nn.Module) else MODELS.build(cfg)


def build_data_preprocessor(cfg: Union[dict, nn.Module, None]) -> nn.Module:
    """The data preprocessor of a self-supervised algorithm, ``SelfSupDataPreprocessor``
    unless the config names another type.

    Built from mmpcd's registry: mmpretrain's ``BaseSelfSupervisor`` would build it from
    mmpretrain's, where mmpcd's own types do not resolve."""
    if isinstance(cfg, nn.Module):
        return cfg
    cfg = dict(cfg or {})
    cfg.setdefault('type', 'SelfSupDataPreprocessor')
    return MODELS.build(cfg)
