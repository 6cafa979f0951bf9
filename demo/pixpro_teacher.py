"""A PixPro checkpoint as a PCD teacher: the online ResNet and its projector, in the MoCo v3
layout PCD's teacher loader reads (``model.teacher.layout='mocov3'``).

PixPro's projector is ``conv1x1 (no bias) -> BN -> ReLU -> conv1x1 (bias)``
(``projector.mlp2.{0,1,3}``). PCD's SpatialAdaptor is built from a vector head
``Linear -> BN1d -> ReLU -> Linear`` (``fc.{0,1,3}``), whose Linear weights it reshapes into
1x1 convs; so the 1x1 conv weights are written as 2-D Linear weights and the adaptor must be
configured with ``channels=(C_backbone, C_hidden, C_out)`` and ``bias=(False, True)``
(:func:`adaptor_options`).
"""
from typing import Dict, List

import torch

from mmpcd.utils.checkpoint import read_checkpoint

BACKBONE = 'backbone.'
PROJECTOR = 'projector.mlp2.'
MOCOV3_BACKBONE = 'module.momentum_encoder.'
MOCOV3_HEAD = 'module.momentum_encoder.fc.'


def pixpro_to_mocov3(pixpro_checkpoint: str, dst: str,
                     trust: bool = False) -> Dict[str, torch.Tensor]:
    """Write the MoCo v3-layout teacher of a PixPro checkpoint to ``dst``; returns its state.
    The checkpoint is read weights-only unless ``trust``.

    Raises:
        ValueError: if the checkpoint has no PixPro projector (``projector.mlp2.*``).
    """
    state = read_checkpoint(pixpro_checkpoint, trust=trust).get('state_dict')
    if not state or not any(k.startswith(PROJECTOR) for k in state):
        raise ValueError(f'{pixpro_checkpoint} is not a PixPro checkpoint (no {PROJECTOR}* '
                         'keys): pass the checkpoint of a PixPro run of this demo.')
    teacher = {}
    for key, value in state.items():
        if key.startswith(BACKBONE):
            teacher[MOCOV3_BACKBONE + key[len(BACKBONE):]] = value
        elif key.startswith(PROJECTOR):
            layer, _, param = key[len(PROJECTOR):].partition('.')
            if param == 'weight' and value.dim() == 4:
                value = value.flatten(1)  # 1x1 conv (O, I, 1, 1) -> Linear (O, I)
            teacher[f'{MOCOV3_HEAD}{layer}.{param}'] = value
    torch.save({'state_dict': teacher}, dst)
    return teacher


def adaptor_options(teacher: Dict[str, torch.Tensor]) -> List[str]:
    """``--cfg-options`` shaping PCD's SpatialAdaptor and student head like the teacher's
    projector (student output = teacher output width)."""
    hidden, in_channels = teacher[MOCOV3_HEAD + '0.weight'].shape
    out_channels = teacher[MOCOV3_HEAD + '3.weight'].shape[0]
    return [
        f'model.teacher.adaptor.channels=[{in_channels},{hidden},{out_channels}]',
        'model.teacher.adaptor.bias=[False,True]',
        f'model.neck.out_channels={out_channels}',
        f'model.feat_dim={out_channels}',
    ]
