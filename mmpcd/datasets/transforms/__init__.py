"""Data transforms that keep track of geometry: crop boxes (``coord``) through crops, flips
and multi-view wrapping, with a guard against transforms that would invalidate them; and an
image loader that names the files it cannot decode."""

from .coord_crop import RandomResizedCropWithCoord
from .coord_flip import RandomFlipWithCoord
from .geometry_guard import PHOTOMETRIC_TRANSFORMS, check_shape_unchanged, check_view_pipeline
from .loading import BadImageError, CheckedLoadImageFromFile
from .multi_view import MultiViewWithCoord

__all__ = [
    'RandomResizedCropWithCoord',
    'RandomFlipWithCoord',
    'MultiViewWithCoord',
    'PHOTOMETRIC_TRANSFORMS',
    'check_view_pipeline',
    'check_shape_unchanged',
    'BadImageError',
    'CheckedLoadImageFromFile',
]
