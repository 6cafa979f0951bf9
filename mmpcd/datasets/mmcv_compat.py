"""Run-time fixes for bugs of the pinned OpenMMLab releases on current numpy.

mmcv 2.1.0's ``adjust_hue`` shifts the hue channel with ``np.uint8(hue_factor * 255)``. With
numpy >= 2 a negative factor raises ``OverflowError: Python integer -14 out of bounds for
uint8`` instead of wrapping around, so every MoCo v2 / BYOL pipeline (``ColorJitter`` with
``hue=0.1``) crashes on about every other image. :func:`apply_compat_patches` swaps in a
version that wraps explicitly and is otherwise identical.
"""

from typing import Optional

import cv2
import numpy as np
from PIL import Image


def _hue_shift(hue_factor: float) -> np.uint8:
    """The uint8 shift of the hue channel; negative factors wrap around like numpy 1 did."""
    return np.uint8(int(hue_factor * 255) % 256)


def adjust_hue(img: np.ndarray, hue_factor: float, backend: Optional[str] = None) -> np.ndarray:
    """Rotate the hue of a BGR image by ``hue_factor`` turns (numpy-2-safe ``mmcv.adjust_hue``).

    Args:
        img: Image of shape (H, W, 3), BGR.
        hue_factor: Shift of the hue channel in [-0.5, 0.5] turns.
        backend: ``'cv2'`` or ``'pillow'``; None uses mmcv's global image backend.

    Returns:
        The hue-adjusted image, (H, W, 3) with the dtype of ``img``.
    """
    from mmcv.image import io as mmcv_io

    backend = backend or mmcv_io.imread_backend
    if backend not in ('cv2', 'pillow'):
        raise ValueError(
            f"backend: {backend} is not supported. Supported backends are 'cv2', 'pillow'"
        )
    if not -0.5 <= hue_factor <= 0.5:
        raise ValueError(f'hue_factor:{hue_factor} is not in [-0.5, 0.5].')
    if not (isinstance(img, np.ndarray) and img.ndim in (2, 3)):
        raise TypeError('img should be ndarray with dim=[2 or 3].')

    shift = _hue_shift(hue_factor)
    if backend == 'pillow':
        if img.dtype != np.uint8:
            raise TypeError('The pillow backend of adjust_hue only supports uint8 images.')
        pil_image = Image.fromarray(np.ascontiguousarray(img[..., ::-1]))  # BGR -> RGB
        h, s, v = pil_image.convert('HSV').split()
        hue = np.array(h, dtype=np.uint8)
        hue += shift  # uint8 arithmetic wraps around the hue circle
        hsv = Image.merge('HSV', (Image.fromarray(hue), s, v))
        return np.array(hsv.convert('RGB'), dtype=img.dtype)[..., ::-1]
    dtype = img.dtype
    hsv = cv2.cvtColor(img.astype(np.uint8), cv2.COLOR_BGR2HSV_FULL)
    h, s, v = cv2.split(hsv)
    h = h.astype(np.uint8)
    h += shift
    return cv2.cvtColor(cv2.merge([h, s, v]), cv2.COLOR_HSV2BGR_FULL).astype(dtype)


def apply_compat_patches() -> None:
    """Install the fixes above into mmcv (idempotent). Called by ``import mmpcd.datasets``
    (which ``register_all_modules`` imports, so every mmpcd pipeline has them).

    Dataloader workers inherit them with the ``fork`` start method (mmpcd's default
    ``env_cfg``); with ``spawn`` they apply where the worker imports mmpcd.
    """
    import mmcv
    import mmcv.image
    import mmcv.image.photometric as photometric

    for module in (mmcv, mmcv.image, photometric):
        module.adjust_hue = adjust_hue
