"""PixPro's Pixel Propagation Module (PPM)."""

from typing import List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import build_norm_layer
from mmengine.model import BaseModule
from torch import Tensor

from mmpcd.ops import pixel_propagation
from mmpcd.registry import MODELS

# Added to the clamped similarity before a power below 1, whose gradient is infinite at 0
# (the official code does the same).
_SMALL_POWER_EPS = 1e-6


def _value_transform(channels: int, num_layers: int, norm_cfg: dict) -> nn.Module:
    """The transform g: identity (0), a 1x1 conv (1) or conv-norm-ReLU-conv (2), with
    biases as the official ``conv1x1``/``MLP2d``."""
    if num_layers == 0:
        return nn.Identity()
    if num_layers == 1:
        return nn.Conv2d(channels, channels, 1)
    if num_layers == 2:
        return nn.Sequential(
            nn.Conv2d(channels, channels, 1),
            build_norm_layer(norm_cfg, channels)[1],
            nn.ReLU(inplace=True),
            nn.Conv2d(channels, channels, 1),
        )
    raise ValueError(f'PPM num_layers must be 0, 1 or 2, got {num_layers}.')


@MODELS.register_module()
class PPM(BaseModule):
    """Pixel propagation: ``y_i = sum_j max(cos(x_i, x_j), clamp_min) ** gamma * g'(x_j)``,
    with ``g' = normalize(g(x))`` along C, followed by an L2 normalisation of ``y``.

    No softmax and no row normalisation (the official ``featprop``); the similarity is the
    cosine of the *input* (the online projector's output), the propagated value its
    transform. The compiled kernels of :func:`mmpcd.ops.pixel_propagation` never build the
    (N, HW, HW) similarity; a ``gamma < 1`` needs the official ``+1e-6`` inside the power and
    runs on the reference path instead.

    Args:
        channels: C of the input and output. Defaults to 256.
        num_layers: Layers of g: 0 identity, 1 a 1x1 conv (official default), 2
            conv-norm-ReLU-conv. Defaults to 1.
        gamma: Sharpness exponent of the similarity. Defaults to 2.
        clamp_min: Lower clamp of the cosine (0: negative similarities propagate nothing).
            Defaults to 0.
        norm_cfg: Norm of the two-layer g. Defaults to ``dict(type='BN')`` (the official
            code does not convert this one to SyncBN).
        impl: Implementation of the propagation op (``'auto'`` = compiled kernel when
            available). Defaults to ``'auto'``.
        init_cfg: Initialisation config. Defaults to None (PyTorch's default init).
    """

    def __init__(
        self,
        channels: int = 256,
        num_layers: int = 1,
        gamma: float = 2.0,
        clamp_min: float = 0.0,
        norm_cfg: Optional[dict] = None,
        impl: str = 'auto',
        init_cfg: Optional[Union[dict, List[dict]]] = None,
    ) -> None:
        super().__init__(init_cfg)
        if gamma <= 0:
            raise ValueError(f'PPM gamma must be > 0, got {gamma}.')
        if clamp_min < 0 and float(gamma) != int(gamma):
            raise ValueError(
                f'PPM clamp_min must be >= 0 for a non-integer gamma ({gamma}): '
                'a negative similarity has no real power.'
            )
        self.gamma = float(gamma)
        self.clamp_min = float(clamp_min)
        self.impl = impl
        self.value_transform = _value_transform(channels, num_layers, norm_cfg or dict(type='BN'))

    def propagation_weights(self, x: Tensor) -> Tensor:
        """The propagation matrix ``S`` (N, HW, HW), ``S[n, i, j]`` = weight of cell j in
        the output of cell i (for inspection and tests; the forward pass does not build
        it when the compiled op runs)."""
        unit = F.normalize(x.flatten(2), dim=1)
        sim = torch.bmm(unit.transpose(1, 2), unit).clamp(min=self.clamp_min)
        if self.gamma < 1:
            sim = sim + _SMALL_POWER_EPS
        return sim.pow(self.gamma)

    def _propagate(self, x: Tensor, value: Tensor) -> Tensor:
        if self.gamma < 1:
            out = torch.bmm(value.flatten(2), self.propagation_weights(x).transpose(1, 2))
            return out.view_as(value)
        return pixel_propagation(x, value, self.gamma, self.clamp_min, impl=self.impl)

    def _forward_level(self, x: Tensor) -> Tensor:
        value = F.normalize(self.value_transform(x), dim=1)
        # The propagation runs in fp32 under AMP: the kernels and the gamma power are
        # not half-precision safe.
        return F.normalize(self._propagate(x.float(), value.float()), dim=1)

    def forward(self, x: Union[Tensor, Sequence[Tensor]]) -> Tuple[Tensor, ...]:
        """Propagate each level (the same module for all).

        Args:
            x: A sequence of L maps (N, C, H_l, W_l), e.g. ``DenseProjection``'s dense
                output; a bare (N, C, H, W) map counts as one level.

        Returns:
            An L-tuple of the L2-normalised (N, C, H_l, W_l) outputs.
        """
        levels = [x] if isinstance(x, Tensor) else x
        return tuple(self._forward_level(level) for level in levels)
