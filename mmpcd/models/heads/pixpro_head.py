"""PixPro's head: pixel-to-propagation consistency of two views on every level."""

from functools import partial
from typing import Dict, List, Optional, Sequence, Union

from mmengine.model import BaseModule
from torch import Tensor

from mmpcd.registry import MODELS

from ..losses import pixpro_loss
from .two_view import symmetric_level_mean


@MODELS.register_module()
class PixProHead(BaseModule):
    """``loss_pixpro = mean_l [pixpro_loss(y_1, x'_2, c1, c2) + pixpro_loss(y_2, x'_1, c2,
    c1)]`` over the levels l, minimum -4.

    ``y_v`` are the online branch's propagated features (the PPM output) of view v, ``x'_v``
    the target branch's normalised projections, ``c_v`` the crop boxes. Each level (C5 alone,
    or FPN levels) gets its own positive mask from its own cell grid
    (:func:`mmpcd.models.losses.pixpro_loss`). The head has no parameters.

    Mixed precision: the loss is computed in fp32 with autocast off, whatever the dtype of the
    maps (this is PixPro's one fp32 place besides the PPM's propagation).

    Args:
        pos_ratio: Distance threshold T in cell diagonals. Defaults to 0.7 (official).
        impl: Implementation of the masked-cosine op, ``'auto' | 'pytorch' | 'cpu' |
            'cuda'``. Defaults to ``'auto'``.
        init_cfg: Initialisation config. Defaults to None.
    """

    def __init__(
        self,
        pos_ratio: float = 0.7,
        impl: str = 'auto',
        init_cfg: Optional[Union[dict, List[dict]]] = None,
    ) -> None:
        super().__init__(init_cfg)
        if pos_ratio <= 0:
            raise ValueError(f'pos_ratio must be positive, got {pos_ratio}.')
        self.pos_ratio = pos_ratio
        self.impl = impl

    def loss(
        self, online: Sequence[Sequence[Tensor]], target: Sequence[Sequence[Tensor]], coords: Tensor
    ) -> Dict[str, Tensor]:
        """Symmetrised, level-averaged loss of two views.

        Args:
            online: Per view (2), the per-level PPM outputs (N, C, H_l, W_l).
            target: Per view (2), the per-level target projections (N, C, H_l, W_l).
            coords: (N, 2, 4) crop boxes of the two views.

        Returns:
            ``dict(loss_pixpro=scalar)``.
        """
        pair_loss = partial(pixpro_loss, pos_ratio=self.pos_ratio, impl=self.impl)
        return dict(loss_pixpro=symmetric_level_mean(pair_loss, online, target, coords))
