"""Loading a folder of photos as square RGB images for the visualisation tools."""

import os
import os.path as osp
from typing import List, Optional, Tuple

import mmcv
import numpy as np
import torch
from torch import Tensor

IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.webp')


def list_images(folder: str, limit: Optional[int] = None) -> List[str]:
    """Sorted image paths of ``folder`` (first ``limit`` of them)."""
    if not osp.isdir(folder):
        raise FileNotFoundError(
            f'image folder {folder} does not exist; pass a folder of photos, e.g. data/demo/images.'
        )
    paths = sorted(
        osp.join(folder, name)
        for name in os.listdir(folder)
        if name.lower().endswith(IMAGE_EXTENSIONS)
    )
    if not paths:
        raise FileNotFoundError(f'no {"/".join(IMAGE_EXTENSIONS)} images in {folder}.')
    return paths[:limit]


def load_square(path: str, size: int) -> np.ndarray:
    """An image resized so that its short side is ``size``, centre-cropped to a square.

    Returns:
        (size, size, 3) uint8 RGB.
    """
    image = mmcv.imread(path, channel_order='rgb')
    if image is None:
        raise ValueError(f'cannot read image {path}.')
    height, width = image.shape[:2]
    scale = size / min(height, width)
    new_w, new_h = max(size, round(width * scale)), max(size, round(height * scale))
    image = mmcv.imresize(image, (new_w, new_h), interpolation='bilinear')
    top, left = (new_h - size) // 2, (new_w - size) // 2
    return np.ascontiguousarray(image[top : top + size, left : left + size])


def to_tensor(images: List[np.ndarray]) -> Tensor:
    """(H, W, 3) uint8 images -> (N, 3, H, W) float32 in [0, 255]."""
    return torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2).float()


def load_folder(
    folder: str, size: int, limit: Optional[int] = None
) -> Tuple[List[str], List[np.ndarray]]:
    """Paths and (size, size, 3) uint8 RGB images of the photos in ``folder``."""
    paths = list_images(folder, limit)
    return paths, [load_square(path, size) for path in paths]
