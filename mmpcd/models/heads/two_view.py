"""The symmetric, level-averaged form shared by PixPro's and PixContrast's heads."""

from typing import Callable, Sequence

import torch
from torch import Tensor

PairLoss = Callable[[Tensor, Tensor, Tensor, Tensor], Tensor]


def symmetric_level_mean(
    pair_loss: PairLoss,
    online: Sequence[Sequence[Tensor]],
    target: Sequence[Sequence[Tensor]],
    coords: Tensor,
) -> Tensor:
    """``mean_l [pair_loss(o_1^l, t_2^l, c_1, c_2) + pair_loss(o_2^l, t_1^l, c_2, c_1)]``,
    computed in fp32 with autocast off.

    Each level l is its own cell grid, so ``pair_loss`` builds its own correspondence there.

    Args:
        pair_loss: Loss of one ordered pair, ``(online (N, C, Hq, Wq), target (N, C, Hk, Wk),
            coord_q (N, 4), coord_k (N, 4)) -> scalar``.
        online: Per view (2), the per-level maps (N, C, H_l, W_l) of the online branch.
        target: Per view (2), the per-level maps of the target branch, shaped as ``online``.
        coords: (N, 2, 4) crop boxes of the two views.

    Returns:
        Scalar loss (fp32).
    """
    if len(online) != 2 or len(target) != 2:
        raise ValueError(
            f'A two-view head needs the maps of exactly two views, got '
            f'{len(online)} online and {len(target)} target views.'
        )
    num_levels = len(online[0])
    if num_levels == 0 or any(len(levels) != num_levels for levels in (*online, *target)):
        raise ValueError(
            'Every view of both branches must have the same (non-zero) number of '
            f'levels, got {[len(levels) for levels in (*online, *target)]}.'
        )
    coord_1, coord_2 = coords[:, 0].float(), coords[:, 1].float()
    # The one fp32 place of these methods: cosines and logsumexps over cell pairs.
    with torch.autocast(device_type=coords.device.type, enabled=False):
        return (
            sum(
                pair_loss(online[0][lvl].float(), target[1][lvl].float(), coord_1, coord_2)
                + pair_loss(online[1][lvl].float(), target[0][lvl].float(), coord_2, coord_1)
                for lvl in range(num_levels)
            )
            / num_levels
        )
