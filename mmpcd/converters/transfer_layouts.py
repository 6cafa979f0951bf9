"""Key layouts of pre-training checkpoints made those of the mmdet/mmseg models they transfer to.

**Deep stem.** mmpretrain's ``ResNet(deep_stem=True)`` (``ResNetV1d``) builds its stem from three
``ConvModule``s, ``stem.{i}.conv`` / ``stem.{i}.bn``; mmdet's and mmseg's (``ResNetV1c``,
``ResNetV1d``) from a flat ``Sequential`` of conv, norm, ReLU, ..., ``stem.{3i}`` /
``stem.{3i+1}``. Every other key (``avg_down`` shortcuts included: ``downsample.{1,2}`` in
both) and every shape is the same, so the weights transfer once the stem is renamed.

**FPN + head towers** (PixPro's FCOS head pre-training, ``FPNWithHeadTowers``): the neck's
``neck.fpn.*`` is mmdet FCOS's ``neck.*`` and ``neck.bbox_head.{cls,reg}_convs.*`` its
``bbox_head.{cls,reg}_convs.*``; the head's predictors (never trained) are left out, so the
detector keeps its own initialisation for them.
"""

import re
from typing import Dict

import torch

_MMPRETRAIN_STEM = re.compile(r'^(?P<prefix>.*)stem\.(?P<i>\d+)\.(?P<kind>conv|bn)\.(?P<rest>.+)$')


def deep_stem_to_mmdet(state_dict: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
    """Rename an mmpretrain deep stem (``[prefix]stem.{i}.conv|bn.*``) to mmdet/mmseg's
    (``[prefix]stem.{3i}.*`` for the conv, ``[prefix]stem.{3i+1}.*`` for the norm); other
    keys, and a state dict without a deep stem, pass unchanged."""
    renamed = {}
    for key, value in state_dict.items():
        match = _MMPRETRAIN_STEM.match(key)
        if match:
            index = 3 * int(match['i']) + (0 if match['kind'] == 'conv' else 1)
            key = f'{match["prefix"]}stem.{index}.{match["rest"]}'
        renamed[key] = value
    return renamed


_TOWERS = ('neck.bbox_head.cls_convs.', 'neck.bbox_head.reg_convs.')


def fpn_head_towers_to_mmdet(state_dict: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
    """``backbone.*``, ``neck.fpn.*`` -> ``neck.*`` and the towers ``neck.bbox_head.{cls,reg}_
    convs.*`` -> ``bbox_head.*`` of an ``FPNWithHeadTowers`` pre-training state dict; every
    other key is dropped.

    Raises:
        ValueError: if the state dict has no ``neck.fpn.*`` or no tower key (not a head
            pre-training checkpoint).
    """
    out = {k: v for k, v in state_dict.items() if k.startswith('backbone.')}
    fpn = {
        'neck.' + k[len('neck.fpn.') :]: v
        for k, v in state_dict.items()
        if k.startswith('neck.fpn.')
    }
    towers = {k[len('neck.') :]: v for k, v in state_dict.items() if k.startswith(_TOWERS)}
    if not fpn or not towers:
        raise ValueError(
            'no neck.fpn.* and neck.bbox_head.{cls,reg}_convs.* keys: not a '
            'PixPro FPN + head pre-training checkpoint (FPNWithHeadTowers neck).'
        )
    return {**out, **fpn, **towers}
