"""Datasets, data transforms, safe image loading and the mmcv numpy-2 fix."""

from .mmcv_compat import apply_compat_patches
from .synthetic_dense import (
    SyntheticDenseDataset,
    export_coco,
    export_semseg,
    generate_dense_sample,
    pregenerate,
)
from .transforms import *  # noqa: F401,F403

apply_compat_patches()

__all__ = [
    'SyntheticDenseDataset',
    'generate_dense_sample',
    'pregenerate',
    'export_coco',
    'export_semseg',
    'apply_compat_patches',
]
