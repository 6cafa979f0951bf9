"""DenseCL-style projection: a global MLP and a dense 1x1-conv head side by side."""

from typing import Callable, List, Optional, Sequence, Tuple, Union

import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import build_norm_layer
from mmengine.model import BaseModule
from torch import Tensor

from mmpcd.registry import MODELS

from ..utils.pointwise import is_pointwise, pointwise_forward

# A norm config names one type for both branches; the global branch sees (N, C) and the
# dense branch (N, C, H, W), so plain BN must become BN1d / BN2d respectively.
_GLOBAL_NORM = {'BN': 'BN1d', 'BN2d': 'BN1d'}
_DENSE_NORM = {'BN': 'BN2d', 'BN1d': 'BN2d'}

Levels = Tuple[Tensor, ...]  # one entry per level


def _linear(in_channels: int, out_channels: int, bias: bool) -> nn.Module:
    return nn.Linear(in_channels, out_channels, bias=bias)


def _conv1x1(in_channels: int, out_channels: int, bias: bool) -> nn.Module:
    return nn.Conv2d(in_channels, out_channels, 1, bias=bias)


def _branch(
    make_layer: Callable[[int, int, bool], nn.Module],
    in_channels: int,
    hid_channels: int,
    out_channels: int,
    num_layers: int,
    norm_cfg: Optional[dict],
) -> nn.Sequential:
    """``num_layers`` layers with [norm]-ReLU after each hidden one. Without norm the
    indices are those of mmpretrain's ``DenseCLNeck`` (0 = first layer, 2 = second)."""
    modules: List[nn.Module] = []
    channels = in_channels
    for _ in range(num_layers - 1):
        # The bias is redundant when a norm layer follows.
        modules.append(make_layer(channels, hid_channels, norm_cfg is None))
        if norm_cfg is not None:
            modules.append(build_norm_layer(norm_cfg, hid_channels)[1])
        modules.append(nn.ReLU(inplace=True))
        channels = hid_channels
    modules.append(make_layer(channels, out_channels, True))
    return nn.Sequential(*modules)


def _norm_for(norm_cfg: Optional[dict], mapping: dict) -> Optional[dict]:
    """A copy of ``norm_cfg`` with its type renamed by ``mapping`` (other types kept)."""
    if norm_cfg is None:
        return None
    cfg = dict(norm_cfg)
    cfg['type'] = mapping.get(cfg['type'], cfg['type'])
    return cfg


@MODELS.register_module()
class DenseProjection(BaseModule):
    """Global and dense projection heads in parallel (the DenseCL neck, generalised).

    - **global**: global average pool, then an MLP (``Linear``-ReLU-``Linear`` by default).
    - **dense**: optional ``AdaptiveAvgPool2d(num_grid)``, then the same MLP as 1x1 convs
      (conv-ReLU-conv), keeping the map; its global average (``pooled_dense``) is what
      DenseCL puts in its dense negative queue.

    With ``norm_cfg=None`` and ``num_layers=2`` the parameters are named exactly like
    mmpretrain's ``DenseCLNeck`` (``mlp.0``, ``mlp.2``, ``mlp2.0``, ``mlp2.2``), so its state
    dict loads as is (``strict=True``) and both compute the same values (``DenseCLNeck``
    returns them as single tensors with the dense map flattened to (N, D, S*S), this neck as
    per-level tuples of maps, see "Levels" below). With a norm layer
    every hidden layer is followed by it (``mlp.0`` linear, ``mlp.1`` norm, ``mlp.2`` ReLU,
    ``mlp.3`` linear), a layout ``DenseCLNeck`` has no counterpart for.

    Args:
        in_channels: Channels C of the input map(s).
        hid_channels: Channels of the hidden layers.
        out_channels: Channels D of the projections.
        num_layers: Layers per branch; 1 = a single linear / 1x1 layer. Defaults to 2.
        norm_cfg: Norm after each hidden layer, e.g. ``dict(type='BN')`` or
            ``dict(type='SyncBN')``; ``'BN'`` becomes ``BN1d`` in the global and ``BN2d`` in
            the dense branch. None (default) = the official DenseCL head without norm.
        with_global: Build the global branch. If False its output is None. Defaults to True.
        num_grid: Pool the dense map to ``num_grid x num_grid`` before the 1x1 convs; None
            (default) keeps the native size.
        init_cfg: Initialisation config. Defaults to None (PyTorch's default init, as
            ``DenseCLNeck``).

    **Levels.** The input is a tuple of levels (a backbone's output, FPN levels, all with
    ``in_channels`` channels); every level goes through the same (shared) branches and each
    output is a tuple with one entry per level, also for a single level. The dense output
    stays a map: DenseCL flattens it where it needs one row per cell, PixPro's PPM and losses
    take maps.
    """

    def __init__(
        self,
        in_channels: int,
        hid_channels: int,
        out_channels: int,
        num_layers: int = 2,
        norm_cfg: Optional[dict] = None,
        with_global: bool = True,
        num_grid: Optional[int] = None,
        init_cfg: Optional[Union[dict, List[dict]]] = None,
    ) -> None:
        super().__init__(init_cfg)
        if num_layers < 1:
            raise ValueError(f'num_layers must be >= 1, got {num_layers}.')
        if num_grid is not None and num_grid < 1:
            raise ValueError(f'num_grid must be None or >= 1, got {num_grid}.')
        self.with_global = with_global
        self.num_grid = num_grid
        if with_global:
            self.mlp = _branch(
                _linear,
                in_channels,
                hid_channels,
                out_channels,
                num_layers,
                _norm_for(norm_cfg, _GLOBAL_NORM),
            )
        self.mlp2 = _branch(
            _conv1x1,
            in_channels,
            hid_channels,
            out_channels,
            num_layers,
            _norm_for(norm_cfg, _DENSE_NORM),
        )
        # GEMMs over the pixels instead of 1x1 convs where the layers allow it (faster on
        # the CPU, same result); a GroupNorm, for one, does not.
        self._pointwise = is_pointwise(self.mlp2)

    def _forward_level(self, x: Tensor) -> Tuple[Optional[Tensor], Tensor, Tensor]:
        """(N, C, H, W) -> global (N, D) or None, dense (N, D, S, S), pooled_dense (N, D)."""
        global_out = self.mlp(F.adaptive_avg_pool2d(x, 1).flatten(1)) if self.with_global else None
        if self.num_grid is not None:
            x = F.adaptive_avg_pool2d(x, self.num_grid)
        dense = pointwise_forward(self.mlp2, x) if self._pointwise else self.mlp2(x)
        pooled_dense = F.adaptive_avg_pool2d(dense, 1).flatten(1)
        # On the GEMM path a channels-last-strided view; no copy is made here (the ops make
        # their inputs contiguous, DenseCL's flatten copies once).
        return global_out, dense, pooled_dense

    def forward(
        self, x: Union[Tensor, Sequence[Tensor]]
    ) -> Tuple[Optional[Levels], Levels, Levels]:
        """Project each level of a backbone's (or an FPN's) output.

        Args:
            x: A sequence of L maps (N, C, H_l, W_l), e.g. a backbone's output tuple (L = 1
                for ``out_indices=(3,)``); a bare (N, C, H, W) map counts as one level.

        Returns:
            ``(global, dense, pooled_dense)``, each an L-tuple, one entry per level:

            - global: (N, D), or None instead of the tuple if ``with_global=False``;
            - dense: maps (N, D, S_l, S_l) with S_l = ``num_grid``, or the level's native
              (N, D, H_l, W_l) without it;
            - pooled_dense: (N, D), the global average of the dense map.
        """
        levels = [x] if isinstance(x, Tensor) else list(x)
        global_outs, dense_outs, pooled_outs = zip(*(self._forward_level(lvl) for lvl in levels))
        return (global_outs if self.with_global else None), dense_outs, pooled_outs
