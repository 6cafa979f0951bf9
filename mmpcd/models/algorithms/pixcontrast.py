"""PixContrast: PixPro's two-branch pipeline with a pixel-level InfoNCE instead of the PPM.

The contrastive baseline of the PixPro paper (Xie et al., CVPR 2021, Sec. 3.1, Eq. 2); no
code was released, so this follows the paper's description.
"""

from typing import Optional

from mmpcd.registry import MODELS

from .pixpro import BasePixelConsistency


@MODELS.register_module()
class PixContrast(BasePixelConsistency):
    """Pixel contrast between the online projection of one view and the momentum projection
    of the other through a ``PixContrastHead`` (``loss_pixcontrast``, summed over both
    orders, averaged over levels); no PPM.

    Everything else (views and crop boxes, momentum target, FPN levels, optional instance
    branch) is :class:`~mmpcd.models.algorithms.pixpro.BasePixelConsistency`'s.

    Args:
        backbone, projector: See ``BasePixelConsistency``.
        head: ``PixContrastHead`` config, e.g. ``dict(type='PixContrastHead',
            temperature=0.3, pos_ratio=0.7, neg_ratio=None)``.
        ppm: Must be None (configs inheriting a PixPro config set ``ppm=None``).
        **kwargs: ``BasePixelConsistency``'s other arguments.
    """

    def __init__(
        self, backbone: dict, projector: dict, head: dict, ppm: Optional[dict] = None, **kwargs
    ) -> None:
        if ppm is not None:
            raise ValueError(
                'PixContrast has no PPM; set `ppm=None` or remove it from the '
                'config (or use PixPro).'
            )
        super().__init__(backbone=backbone, projector=projector, head=head, **kwargs)
