"""PCD's student neck: optional MHSA, then a 1x1-conv projector and predictor."""

from collections import OrderedDict
from typing import List, Optional, Sequence, Tuple, Union

import torch.nn as nn
from mmcv.cnn import build_norm_layer
from mmengine.model import BaseModule
from torch import Tensor

from mmpcd.registry import MODELS

from ..utils.pointwise import is_pointwise, pointwise_forward


def conv_mlp(
    in_channels: int,
    hid_channels: int,
    out_channels: int,
    bias: Sequence[bool],
    norm_cfg: dict,
    num_layers: int = 2,
) -> nn.Sequential:
    """``num_layers`` 1x1 convs ``in -> hid -> ... -> hid -> out`` with norm and ReLU after
    every one but the last, named ``fc0, bn0, relu, fc1[, bn1, relu1, fc2, ...]``
    (mmpretrain's ``NonLinearNeck`` names, so that the ``'bn'`` and ``'bias'`` custom keys of
    LARS configs match the right parameters). ``bias`` has one entry per conv."""
    if len(bias) != num_layers:
        raise ValueError(
            f'One bias flag per conv is needed ({num_layers} convs), got {bias}: '
            'give projector_bias / predictor_bias that many entries.'
        )
    layers = []
    channels = [in_channels] + [hid_channels] * (num_layers - 1) + [out_channels]
    for i in range(num_layers):
        layers.append((f'fc{i}', nn.Conv2d(channels[i], channels[i + 1], 1, bias=bias[i])))
        if i < num_layers - 1:
            layers.append((f'bn{i}', build_norm_layer(norm_cfg, channels[i + 1])[1]))
            layers.append(('relu' if i == 0 else f'relu{i}', nn.ReLU(inplace=True)))
    return nn.Sequential(OrderedDict(layers))


@MODELS.register_module()
class PCDStudentNeck(BaseModule):
    """Student head of PCD, applied to every pixel of the backbone's last map.

    ``[MHSA] -> projector (C_s -> hid -> D) -> predictor (D -> hid -> D)``, all 1x1 convs
    with no norm or ReLU between projector and predictor, as in the official code (MoCo v3
    teacher: no conv bias anywhere; BYOL teacher: ``projector_bias=predictor_bias=(True,
    False)``; SwAV: ``(True, True)`` with hid 2048, D 128; Barlow Twins: ``num_layers=3``,
    hid = D = 8192, ``pcd/teacher_model/bt_resnet50.py:10-27``).

    Args:
        in_channels: Channels C_s of the student's map (512 for ResNet-18/34, 960 for
            MobileNetV3-Large).
        hid_channels: Hidden width of both MLPs. Defaults to 4096.
        out_channels: D, the teacher's output width. Defaults to 256.
        projector_bias: Bias of the projector's (first, second) conv. Defaults to no bias.
        predictor_bias: Bias of the predictor's (first, second) conv. Defaults to no bias.
        num_layers: Convs per MLP (2, or 3 for a Barlow Twins teacher); the bias flags then
            need one entry per conv. Defaults to 2.
        mhsa: Config of a self-attention module on the backbone map (e.g.
            ``dict(type='MHSA', in_channels=512)``), or None to skip it. Defaults to None.
        norm_cfg: Norm of the hidden layers. Defaults to ``dict(type='BN')`` (the official
            code's per-GPU BatchNorm2d).
        init_cfg: Initialisation config. Defaults to None.

    Input: the backbone's output, a 1-tuple of (N, C_s, H, W). Output: a 1-tuple of
    (N, D, H, W), as every neck returns per-level tuples.
    """

    def __init__(
        self,
        in_channels: int,
        hid_channels: int = 4096,
        out_channels: int = 256,
        projector_bias: Sequence[bool] = (False, False),
        predictor_bias: Sequence[bool] = (False, False),
        mhsa: Optional[dict] = None,
        norm_cfg: Optional[dict] = None,
        num_layers: int = 2,
        init_cfg: Union[dict, List[dict], None] = None,
    ) -> None:
        super().__init__(init_cfg)
        norm_cfg = norm_cfg or dict(type='BN')
        self.mhsa = MODELS.build(mhsa) if mhsa is not None else None
        self.projector = conv_mlp(
            in_channels, hid_channels, out_channels, tuple(projector_bias), norm_cfg, num_layers
        )
        self.predictor = conv_mlp(
            out_channels, hid_channels, out_channels, tuple(predictor_bias), norm_cfg, num_layers
        )
        # Both MLPs run as GEMMs over the pixels when their layers allow it (faster on the
        # CPU, same result).
        self._pointwise = is_pointwise(nn.Sequential(*self.projector, *self.predictor))

    def forward(self, x: Union[Tensor, Sequence[Tensor]]) -> Tuple[Tensor]:
        """The student's map per pixel: (N, C_s, H, W) (or a backbone's 1-tuple of it) ->
        a 1-tuple of (N, D, H, W)."""
        if not isinstance(x, Tensor):
            if len(x) != 1:
                raise ValueError(
                    f'PCDStudentNeck takes a single backbone level, got {len(x)} '
                    '(set e.g. out_indices=(3,) on a ResNet).'
                )
            x = x[0]
        if self.mhsa is not None:
            x = self.mhsa(x)
        if self._pointwise:
            return (pointwise_forward([*self.projector, *self.predictor], x),)
        return (self.predictor(self.projector(x)),)
