"""An FPN followed by a dense detection head's conv towers, as one pre-training neck.

PixPro pre-trains "FPN and head" for FCOS (Xie et al., CVPR 2021, Table 5): the pixel loss
is applied to the head's features, so the towers that the detector fine-tunes start
pre-trained too. No code was released; this module holds mmdet's own ``FPN`` and
``FCOSHead`` so that their weights keep mmdet's names and initialisation.
"""

from typing import List, Optional, Sequence, Tuple, Union

import torch.nn as nn
from mmengine.model import BaseModule
from torch import Tensor

from mmpcd.registry import MODELS

BRANCHES = ('cls', 'reg')


@MODELS.register_module()
class FPNWithHeadTowers(BaseModule):
    """``fpn`` (e.g. ``mmdet.FPN``), then the ``cls_convs`` / ``reg_convs`` towers of a dense
    head (e.g. ``mmdet.FCOSHead``: 4 x conv3x3-GN-ReLU, shared by all levels) on every level.

    The whole head is built (as ``bbox_head``, with its own initialisation, e.g. FCOS's
    Normal(0.01)); only its towers run, so its predictors (``conv_cls``, ``conv_reg``, ...)
    get no gradient (``find_unused_parameters=True``) and are not exported
    (``tools/model_converters/extract_backbone_weights.py --fcos``).

    Args:
        fpn: Multi-level neck config returning a tuple of (N, C, H_l, W_l).
        head: Dense head config with ``cls_convs`` and ``reg_convs`` (FCOS, RetinaNet-like
            anchor-free heads of mmdet's ``AnchorFreeHead``).
        levels: Indices of the FPN outputs the towers run on; None (default) = all.
        branches: Towers whose outputs are returned, from ``('cls', 'reg')``. Defaults to
            both (the paper does not say which; both towers transfer).
        init_cfg: Initialisation config. Defaults to None.

    Input: the backbone's tuple of maps. Output: a tuple of (N, C, H_l, W_l), for each branch
    in order the selected levels in order (``cls`` P3..P7, then ``reg`` P3..P7).
    """

    def __init__(
        self,
        fpn: dict,
        head: dict,
        levels: Optional[Sequence[int]] = None,
        branches: Sequence[str] = BRANCHES,
        init_cfg: Union[dict, List[dict], None] = None,
    ) -> None:
        super().__init__(init_cfg)
        unknown = set(branches) - set(BRANCHES)
        if unknown or not branches:
            raise ValueError(
                f'branches must be a non-empty subset of {BRANCHES}, got {tuple(branches)}.'
            )
        self.fpn = MODELS.build(fpn)
        self.bbox_head = MODELS.build(head)
        for branch in branches:
            if not isinstance(getattr(self.bbox_head, f'{branch}_convs', None), nn.ModuleList):
                raise ValueError(
                    f'{type(self.bbox_head).__name__} has no {branch}_convs tower; '
                    'use a head like mmdet.FCOSHead.'
                )
        self.levels = None if levels is None else tuple(levels)
        self.branches = tuple(branches)

    def forward(self, feats: Tuple[Tensor, ...]) -> Tuple[Tensor, ...]:
        levels = list(self.fpn(feats))
        if self.levels is not None:
            if max(self.levels) >= len(levels):
                raise ValueError(
                    f'levels {self.levels} selects an output the FPN does not '
                    f'have ({len(levels)} outputs).'
                )
            levels = [levels[i] for i in self.levels]
        outs = []
        for branch in self.branches:
            tower = getattr(self.bbox_head, f'{branch}_convs')
            for level in levels:
                for layer in tower:
                    level = layer(level)
                outs.append(level)
        return tuple(outs)
