"""PixContrast: PixPro's two-branch pipeline with a pixel-level InfoNCE instead of the PPM.

The contrastive baseline of the PixPro paper (Xie et al., CVPR 2021, Sec. 3.1, Eq. 2); no
code was released, so this follows the paper's description.
"""
from typing import List, Optional, Union

from torch import Tensor

from mmpcd.registry import MODELS
from ..losses import pixcontrast_loss
from .pixpro import PixPro


@MODELS.register_module()
class PixContrast(PixPro):
    """Pixel contrast between the online projection of one view and the momentum projection
    of the other: :func:`mmpcd.models.losses.pixcontrast_loss` summed over both orders
    (``loss_pixcontrast``), averaged over levels; no PPM.

    Everything else (views and crop boxes, momentum target, FPN levels, optional instance
    branch) is :class:`PixPro`'s.

    Args:
        temperature: tau of the InfoNCE. Defaults to 0.3 (the paper's).
        neg_ratio: Negatives are the other view's cells at distance >= ``neg_ratio`` cell
            diagonals; those in ``[pos_ratio, neg_ratio)`` are ignored. None (default) =
            ``pos_ratio``: every non-positive cell is a negative.
        **kwargs: :class:`PixPro`'s arguments; ``ppm`` must be None (absent).
    """

    uses_ppm = False

    def __init__(self,
                 backbone: dict,
                 projector: dict,
                 temperature: float = 0.3,
                 neg_ratio: Optional[float] = None,
                 init_cfg: Optional[Union[List[dict], dict]] = None,
                 **kwargs) -> None:
        if kwargs.pop('ppm', None) is not None:
            raise ValueError('PixContrast has no PPM; set `ppm=None` or remove it from the '
                             'config (or use PixPro).')
        super().__init__(backbone=backbone, projector=projector, init_cfg=init_cfg, **kwargs)
        if neg_ratio is not None and neg_ratio < self.pos_ratio:
            raise ValueError(f'neg_ratio ({neg_ratio}) must be >= pos_ratio '
                             f'({self.pos_ratio}).')
        self.temperature = temperature
        self.neg_ratio = neg_ratio

    def _dense_online(self, projections: List[Tensor]) -> List[Tensor]:
        return projections

    def _pair_loss(self, online: Tensor, target: Tensor, coord_q: Tensor,
                   coord_k: Tensor) -> Tensor:
        return pixcontrast_loss(online, target, coord_q, coord_k, self.pos_ratio,
                                self.neg_ratio, self.temperature)
