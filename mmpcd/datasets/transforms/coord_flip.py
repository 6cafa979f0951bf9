"""``RandomFlipWithCoord``: mmcv's random flip that mirrors the recorded crop box too."""

from typing import List, Sequence, Union

import numpy as np
from mmcv.transforms import RandomFlip

from mmpcd.registry import TRANSFORMS

# Index orders that swap the x entries (0 <-> 2), the y entries (1 <-> 3), or both.
_SWAP_ORDER = {
    'horizontal': [2, 1, 0, 3],
    'vertical': [0, 3, 2, 1],
    'diagonal': [2, 3, 0, 1],
}


@TRANSFORMS.register_module()
class RandomFlipWithCoord(RandomFlip):
    """mmcv's :class:`RandomFlip` for views whose crop box is recorded in ``coord``.

    A flip swaps the flipped axis' entries of ``coord`` and ``crop_box`` (PixPro's convention):
    after a horizontal flip ``coord = [x_lr, y_ul, x_ul, y_lr]``, so the bin width
    ``(coord[2] - coord[0]) / S`` is negative and the cell centres
    ``coord[0] + (s + 0.5) * bin_w`` run from right to left, mirroring the image. Vertical flips
    swap the y entries, diagonal flips both.

    **Required Keys:** ``img``, ``coord`` (written by a coord-producing crop such as
    :class:`RandomResizedCropWithCoord`); ``crop_box`` is updated when present.

    **Modified Keys:** ``img``, ``coord``, ``crop_box``

    **Added Keys:** ``flip`` (bool), ``flip_direction`` (str or None), as mmcv's; a second flip
    transform overwrites them, while ``coord`` accumulates every flip.

    Args:
        prob: Flip probability, or one probability per direction (as mmcv's ``RandomFlip``).
            Defaults to 0.5.
        direction: ``'horizontal'``, ``'vertical'``, ``'diagonal'`` or a list of them; with a
            float ``prob`` each listed direction gets ``prob / len(direction)``.
            Defaults to ``'horizontal'``.
    """

    # Keeps ``coord``/``crop_box`` consistent with the image it changes.
    updates_coord = True

    def __init__(
        self,
        prob: Union[float, List[float]] = 0.5,
        direction: Union[str, Sequence[str]] = 'horizontal',
    ) -> None:
        # mmcv insists on floats; accept ``prob=1`` from configs.
        prob = [float(p) for p in prob] if isinstance(prob, (list, tuple)) else float(prob)
        super().__init__(prob=prob, direction=direction)

    def transform(self, results: dict) -> dict:
        """Flip ``results['img']`` at random and mirror ``coord``/``crop_box`` with it."""
        # Checked on every call, flip or not, so a misplaced flip fails at once.
        if 'coord' not in results:
            raise ValueError(
                f'{type(self).__name__} needs results["coord"], but there is none: it must come '
                'after a coord-producing crop (e.g. RandomResizedCropWithCoord) in the view '
                'pipeline.'
            )
        return super().transform(results)

    def _flip(self, results: dict) -> None:
        """Flip the image (and mmcv's other keys), then swap the flipped axis' box entries."""
        super()._flip(results)
        order = _SWAP_ORDER[results['flip_direction']]
        for key in ('coord', 'crop_box'):
            if key in results:
                results[key] = np.asarray(results[key])[order]
