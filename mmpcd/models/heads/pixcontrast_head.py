"""PixContrast's head: pixel-level multi-positive InfoNCE of two views on every level."""

from functools import partial
from typing import Dict, List, Optional, Sequence, Union

from mmengine.model import BaseModule
from torch import Tensor

from mmpcd.registry import MODELS

from ..losses import pixcontrast_loss
from .two_view import symmetric_level_mean


@MODELS.register_module()
class PixContrastHead(BaseModule):
    """``loss_pixcontrast = mean_l [pixcontrast_loss(x_1, x'_2, c1, c2) +
    pixcontrast_loss(x_2, x'_1, c2, c1)]`` over the levels l.

    ``x_v`` are the online branch's projections of view v, ``x'_v`` the target branch's,
    ``c_v`` the crop boxes; positives and negatives are the other view's cells of the same
    image (:func:`mmpcd.models.losses.pixcontrast_loss`, PixPro paper Eq. 2). Each level gets
    its own masks from its own cell grid. The head has no parameters.

    Mixed precision: the loss is computed in fp32 with autocast off, whatever the dtype of the
    maps (logsumexps over every cell pair).

    Args:
        temperature: tau of the InfoNCE. Defaults to 0.3 (the paper's).
        pos_ratio: Positive threshold T in cell diagonals. Defaults to 0.7.
        neg_ratio: Negatives are the cells at distance >= ``neg_ratio`` cell diagonals; those
            in ``[pos_ratio, neg_ratio)`` are ignored. None (default) = ``pos_ratio``: every
            non-positive cell is a negative.
        impl: Implementation of the distance op. Defaults to ``'auto'``.
        init_cfg: Initialisation config. Defaults to None.
    """

    def __init__(
        self,
        temperature: float = 0.3,
        pos_ratio: float = 0.7,
        neg_ratio: Optional[float] = None,
        impl: str = 'auto',
        init_cfg: Optional[Union[dict, List[dict]]] = None,
    ) -> None:
        super().__init__(init_cfg)
        if temperature <= 0:
            raise ValueError(f'temperature must be positive, got {temperature}.')
        if neg_ratio is not None and neg_ratio < pos_ratio:
            raise ValueError(
                f'neg_ratio ({neg_ratio}) must be >= pos_ratio ({pos_ratio}); '
                'the cells between the two are ignored.'
            )
        self.temperature = temperature
        self.pos_ratio = pos_ratio
        self.neg_ratio = neg_ratio
        self.impl = impl

    def loss(
        self, online: Sequence[Sequence[Tensor]], target: Sequence[Sequence[Tensor]], coords: Tensor
    ) -> Dict[str, Tensor]:
        """Symmetrised, level-averaged loss of two views.

        Args:
            online: Per view (2), the per-level online projections (N, C, H_l, W_l).
            target: Per view (2), the per-level target projections (N, C, H_l, W_l).
            coords: (N, 2, 4) crop boxes of the two views.

        Returns:
            ``dict(loss_pixcontrast=scalar)``.
        """
        pair_loss = partial(
            pixcontrast_loss,
            pos_ratio=self.pos_ratio,
            neg_ratio=self.neg_ratio,
            temperature=self.temperature,
            impl=self.impl,
        )
        return dict(loss_pixcontrast=symmetric_level_mean(pair_loss, online, target, coords))
