"""SpatialAdaptor: a teacher's vector projection head made to run on every pixel (PCD).

`Pixel-Wise Contrastive Distillation <https://arxiv.org/abs/2211.00218>`_ (Huang & Guo,
ICCV 2023), Fig. 1(b).
"""

from typing import List, Sequence, Union

import torch.nn as nn
from mmengine.model import Sequential
from torch import Tensor

from mmpcd.registry import MODELS


@MODELS.register_module()
class SpatialReLU(nn.Module):
    """ReLU decided per image and channel from the spatial mean, applied to every pixel.

    ``y[n, c] = x[n, c] * 1[mean_hw(x[n, c]) > 0]``: the gate is constant over H x W and
    carries no gradient (it is computed from ``x.detach()``). Since the gate of a channel is
    the plain ReLU's decision on the pooled vector, ``GAP(SpatialReLU(x)) == ReLU(GAP(x))``.

    Input and output: (N, C, H, W).
    """

    def forward(self, x: Tensor) -> Tensor:
        if x.dim() != 4:
            raise ValueError(f'SpatialReLU expects (N, C, H, W), got {tuple(x.shape)}.')
        gate = x.detach().mean(dim=(2, 3), keepdim=True) > 0
        return x * gate.to(x.dtype)


def _as_list(value: Union[bool, Sequence[bool]], num: int, name: str) -> List[bool]:
    values = [value] * num if isinstance(value, bool) else list(value)
    if len(values) != num:
        raise ValueError(f'{name} needs one entry per layer ({num}), got {len(values)}.')
    return values


@MODELS.register_module()
class SpatialAdaptor(Sequential):
    """A vector MLP head (Linear-BN1d-ReLU-...-Linear) as 1x1 convs applied to every pixel.

    ``Linear`` becomes a 1x1 ``Conv2d`` with the same weights, ``BatchNorm1d`` a
    ``BatchNorm2d`` with the same affine parameters and running statistics, ``ReLU`` a
    :class:`SpatialReLU`; the global average pool that fed the vector head moves after it.
    Layer ``i`` of the adaptor is layer ``i`` of the vector head (``0`` conv, ``1`` BN,
    ``2`` SpatialReLU, ``3`` conv, ...), so a head's state dict maps onto it key by key (2-D
    linear weights reshaped to (O, I, 1, 1)).

    Invariance: with BN in eval mode (running statistics) every layer is affine per channel
    or gated by the pooled sign, so ``GAP(adaptor(F)) == head(GAP(F))`` exactly (up to float
    rounding). With BN in train mode the batch variance includes the within-image spatial
    variance, which the pooled vectors do not have, and the identity no longer holds.

    Args:
        channels: ``(C_in, C_hid_1, ..., C_out)``; one conv per consecutive pair, with
            BN + SpatialReLU after every conv but the last.
        bias: Conv bias, for all convs or one entry per conv. Defaults to False (MoCo v3).
        last_bn: Append a ``BatchNorm2d(C_out)`` (kept from a head's final BN, see
            :meth:`from_vector_head`). PCD drops MoCo v3's final affine-free BN, so the
            default is False.
        last_bn_affine: Whether that final BN has affine parameters. Defaults to False.
        init_cfg: Initialisation config. Defaults to None.

    Input: (N, C_in, H, W). Output: (N, C_out, H, W).
    """

    def __init__(
        self,
        channels: Sequence[int],
        bias: Union[bool, Sequence[bool]] = False,
        last_bn: bool = False,
        last_bn_affine: bool = False,
        init_cfg: Union[dict, List[dict], None] = None,
    ) -> None:
        channels = list(channels)
        if len(channels) < 2:
            raise ValueError(f'SpatialAdaptor needs at least (C_in, C_out), got {channels}.')
        biases = _as_list(bias, len(channels) - 1, 'bias')
        layers: List[nn.Module] = []
        for i, (c_in, c_out) in enumerate(zip(channels[:-1], channels[1:])):
            layers.append(nn.Conv2d(c_in, c_out, 1, bias=biases[i]))
            if i < len(channels) - 2:
                layers += [nn.BatchNorm2d(c_out), SpatialReLU()]
        if last_bn:
            layers.append(nn.BatchNorm2d(channels[-1], affine=last_bn_affine))
        super().__init__(*layers, init_cfg=init_cfg)
        self.channels = channels

    @classmethod
    def from_vector_head(cls, module: nn.Sequential, drop_last_bn: bool = True) -> 'SpatialAdaptor':
        """Convert a torch vector head into an adaptor with the same weights and BN state.

        Args:
            module: ``nn.Sequential`` of ``Linear``, ``BatchNorm1d``, ``ReLU`` in the order
                ``Linear (BN1d ReLU Linear)* [BN1d]``.
            drop_last_bn: Drop a final ``BatchNorm1d`` (MoCo v3's affine-free BN), as PCD
                does. If False it is kept as a ``BatchNorm2d``.

        Returns:
            The adaptor, in the training mode of ``module``.
        """
        layers = list(module.children())
        has_last_bn = bool(layers) and isinstance(layers[-1], nn.BatchNorm1d)
        body = layers[:-1] if has_last_bn else layers
        linears = body[0::3]
        expected = []
        for i in range(len(linears)):
            expected.append(nn.Linear)
            if i < len(linears) - 1:
                expected += [nn.BatchNorm1d, nn.ReLU]
        found = [type(layer) for layer in body]
        if not linears or found != expected:
            raise TypeError(
                'from_vector_head expects Linear (BatchNorm1d ReLU Linear)* [BatchNorm1d], got '
                f'({", ".join(t.__name__ for t in map(type, layers))}); convert other layer '
                'types by hand or build the adaptor from its config.'
            )
        channels = [linears[0].in_features] + [layer.out_features for layer in linears]
        keep_last = has_last_bn and not drop_last_bn
        adaptor = cls(
            channels,
            bias=[layer.bias is not None for layer in linears],
            last_bn=keep_last,
            last_bn_affine=keep_last and layers[-1].affine,
        )
        source = body + ([layers[-1]] if keep_last else [])
        for src, dst in zip(source, adaptor):
            if isinstance(src, nn.BatchNorm1d):
                dst.eps, dst.momentum = src.eps, src.momentum
        adaptor.load_state_dict(
            vector_state_to_spatial(nn.Sequential(*source).state_dict()), strict=True
        )
        return adaptor.train(module.training)


def vector_state_to_spatial(state: dict) -> dict:
    """A vector head's state dict with each 2-D (linear) ``weight`` reshaped to a 1x1 conv's
    (O, I, 1, 1); BN tensors and biases unchanged."""
    return {
        key: value[:, :, None, None] if key.endswith('weight') and value.dim() == 2 else value
        for key, value in state.items()
    }
