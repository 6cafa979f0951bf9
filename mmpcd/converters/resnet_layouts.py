"""ResNet key layouts that differ between mmpretrain and mmdet/mmseg: the deep stem.

mmpretrain's ``ResNet(deep_stem=True)`` (``ResNetV1d``) builds its stem from three
``ConvModule``s, ``stem.{i}.conv`` / ``stem.{i}.bn``; mmdet's and mmseg's (``ResNetV1c``,
``ResNetV1d``) from a flat ``Sequential`` of conv, norm, ReLU, ..., ``stem.{3i}`` /
``stem.{3i+1}``. Every other key (``avg_down`` shortcuts included: ``downsample.{1,2}`` in
both) and every shape is the same, so the weights transfer once the stem is renamed.
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
