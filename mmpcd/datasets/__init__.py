"""Datasets and data transforms."""
from .synthetic_dense import (SyntheticDenseDataset, export_coco, export_semseg,
                              generate_dense_sample)
from .transforms import *  # noqa: F401,F403

__all__ = [
    'SyntheticDenseDataset', 'generate_dense_sample', 'export_coco', 'export_semseg'
]
