"""MasKD: masked distillation with receptive tokens, for mmdet 3.x and mmseg 1.x.

`Masked Distillation with Receptive Tokens <https://arxiv.org/abs/2205.14589>`_
(Huang, Zhang et al., ICLR 2023). Importing this package registers its modules into
mmpcd's registries (``mmpcd.MaskLearner``, ``mmpcd.MasKDDistiller``, ``mmpcd.MasKDLoss``,
``mmpcd.ExportTokensHook``).
"""

from .distiller import MasKDDistiller
from .half_ops import patch_mmcv_half_ops
from .hooks import ExportTokensHook
from .losses import MasKDLoss, maskd_level_loss
from .mask_learner import MaskLearner
from .mask_module import MaskModule, dice_coefficient
from .tokens import (
    build_mask_modules,
    check_tokens,
    describe_tokens,
    extract_token_state,
    load_tokens,
    save_tokens,
)

patch_mmcv_half_ops()

__all__ = [
    'MaskModule',
    'dice_coefficient',
    'MaskLearner',
    'MasKDDistiller',
    'MasKDLoss',
    'maskd_level_loss',
    'ExportTokensHook',
    'build_mask_modules',
    'check_tokens',
    'describe_tokens',
    'extract_token_state',
    'load_tokens',
    'save_tokens',
]
