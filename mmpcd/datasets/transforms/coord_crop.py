"""``RandomResizedCropWithCoord``: mmpretrain's random resized crop that records its box."""

import mmcv
import numpy as np
from mmpretrain.datasets.transforms import RandomResizedCrop

from mmpcd.registry import TRANSFORMS


@TRANSFORMS.register_module()
class RandomResizedCropWithCoord(RandomResizedCrop):
    """mmpretrain's :class:`RandomResizedCrop` that also records where the crop came from.

    Sampling, cropping and resizing are mmpretrain's (torchvision's sampling: ``max_attempts``
    tries with a log-uniform aspect ratio, then a centre crop), so with the same numpy seed the
    output image is identical to ``RandomResizedCrop``'s. The crop covers the original pixel
    columns ``x_ul .. x_lr`` and rows ``y_ul .. y_lr`` (inclusive).

    **Required Keys:** ``img``

    **Modified Keys:** ``img``, ``img_shape``

    **Added Keys:**

    - ``coord`` (np.float32, (4,)): ``[x_ul/(W-1), y_ul/(H-1), x_lr/(W-1), y_lr/(H-1)]``,
      PixPro's normalisation (by ``W-1``/``H-1``, each axis by its own side).
    - ``crop_box`` (np.float32, (4,)): ``[x_ul, y_ul, x_lr, y_lr]`` in original pixels, i.e.
      ``coord`` before the normalisation.
    - ``coord_ori_shape`` (tuple): ``(H, W)`` of the image before the crop.

    Later coord-aware transforms (:class:`RandomFlipWithCoord`) keep ``coord`` and ``crop_box``
    in step; see :class:`MultiViewWithCoord` for how the order is enforced.

    Args: those of mmpretrain's :class:`RandomResizedCrop` (``scale``, ``crop_ratio_range``,
    ``aspect_ratio_range``, ``max_attempts``, ``interpolation``, ``backend``).
    """

    # Marks the transform that starts the coord bookkeeping of a view pipeline.
    produces_coord = True

    def transform(self, results: dict) -> dict:
        """Crop ``results['img']`` at random, resize it to ``scale`` and record the box.

        Args:
            results: Result dict with ``img`` of shape (H, W[, C]).

        Returns:
            ``results`` with ``img`` of shape ``scale`` and the keys listed in the class doc.
        """
        img = results['img']
        ori_h, ori_w = img.shape[:2]
        # One draw, used for both the crop and the record (a second call would re-sample).
        top, left, crop_h, crop_w = self.rand_crop_params(img)
        box = np.array([left, top, left + crop_w - 1, top + crop_h - 1])
        img = mmcv.imcrop(img, bboxes=box)
        img = mmcv.imresize(
            img, tuple(self.scale[::-1]), interpolation=self.interpolation, backend=self.backend
        )

        # max(., 1) only matters for 1-pixel-wide images, whose box is then 0 instead of NaN.
        norm = np.maximum(np.array([ori_w, ori_h, ori_w, ori_h]) - 1, 1)
        results['img'] = img
        results['img_shape'] = img.shape
        results['crop_box'] = box.astype(np.float32)
        results['coord'] = (box / norm).astype(np.float32)
        results['coord_ori_shape'] = (ori_h, ori_w)
        return results
