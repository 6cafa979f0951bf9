"""PCD's student neck: optional MHSA, then a 1x1-conv projector and predictor."""
from collections import OrderedDict
from typing import List, Optional, Sequence, Tuple, Union

import torch.nn as nn
from mmcv.cnn import build_norm_layer
from mmengine.model import BaseModule
from torch import Tensor

from mmpcd.registry import MODELS
from ..utils.pointwise import is_pointwise, pointwise_forward


def conv_mlp(in_channels: int, hid_channels: int, out_channels: int, bias: Tuple[bool, bool],
             norm_cfg: dict) -> nn.Sequential:
    """``conv1x1(in->hid) - norm - ReLU - conv1x1(hid->out)`` named ``fc0, bn0, relu, fc1``
    (mmpretrain's ``NonLinearNeck`` names, so that the ``'bn'`` and ``'bias'`` custom keys of
    the LARS configs exclude the right parameters)."""
    return nn.Sequential(
        OrderedDict([
            ('fc0', nn.Conv2d(in_channels, hid_channels, 1, bias=bias[0])),
            ('bn0', build_norm_layer(norm_cfg, hid_channels)[1]),
            ('relu', nn.ReLU(inplace=True)),
            ('fc1', nn.Conv2d(hid_channels, out_channels, 1, bias=bias[1])),
        ]))


@MODELS.register_module()
class PCDStudentNeck(BaseModule):
    """Student head of PCD, applied to every pixel of the backbone's last map.

    ``[MHSA] -> projector (C_s -> hid -> D) -> predictor (D -> hid -> D)``, all 1x1 convs
    with no norm or ReLU between projector and predictor, as in the official code (MoCo v3
    teacher: no conv bias anywhere; BYOL teacher: ``projector_bias=predictor_bias=(True,
    False)``; SwAV: ``(True, True)`` with hid 2048, D 128).

    Args:
        in_channels: Channels C_s of the student's map (512 for ResNet-18/34, 960 for
            MobileNetV3-Large).
        hid_channels: Hidden width of both MLPs. Defaults to 4096.
        out_channels: D, the teacher's output width. Defaults to 256.
        projector_bias: Bias of the projector's (first, second) conv. Defaults to no bias.
        predictor_bias: Bias of the predictor's (first, second) conv. Defaults to no bias.
        mhsa: Config of a self-attention module on the backbone map (e.g.
            ``dict(type='MHSA', in_channels=512)``), or None to skip it. Defaults to None.
        norm_cfg: Norm of the hidden layers. Defaults to ``dict(type='BN')`` (the official
            code's per-GPU BatchNorm2d).
        init_cfg: Initialisation config. Defaults to None.

    Input: the backbone's output, a 1-tuple of (N, C_s, H, W). Output: a 1-tuple of
    (N, D, H, W), as every neck returns per-level tuples.
    """

    def __init__(self,
                 in_channels: int,
                 hid_channels: int = 4096,
                 out_channels: int = 256,
                 projector_bias: Sequence[bool] = (False, False),
                 predictor_bias: Sequence[bool] = (False, False),
                 mhsa: Optional[dict] = None,
                 norm_cfg: Optional[dict] = None,
                 init_cfg: Union[dict, List[dict], None] = None) -> None:
        super().__init__(init_cfg)
        norm_cfg = norm_cfg or dict(type='BN')
        self.mhsa = MODELS.build(mhsa) if mhsa is not None else None
        self.projector = conv_mlp(in_channels, hid_channels, out_channels,
                                  tuple(projector_bias), norm_cfg)
        self.predictor = conv_mlp(out_channels, hid_channels, out_channels,
                                  tuple(predictor_bias), norm_cfg)
        # Both MLPs run as GEMMs over the pixels when their layers allow it (faster on the
        # CPU, same result).
        self._pointwise = is_pointwise(nn.Sequential(*self.projector, *self.predictor))

    def forward(self, x: Union[Tensor, Sequence[Tensor]]) -> Tuple[Tensor]:
        """The student's map per pixel: (N, C_s, H, W) (or a backbone's 1-tuple of it) ->
        a 1-tuple of (N, D, H, W)."""
        if not isinstance(x, Tensor):
            if len(x) != 1:
                raise ValueError(f'PCDStudentNeck takes a single backbone level, got {len(x)} '
                                 '(set e.g. out_indices=(3,) on a ResNet).')
            x = x[0]
        if self.mhsa is not None:
            x = self.mhsa(x)
        if self._pointwise:
            return (pointwise_forward([*self.projector, *self.predictor], x), )
        return (self.predictor(self.projector(x)), )
