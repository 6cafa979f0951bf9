"""Heads that turn features into losses."""
from .pixel_contrast_head import PixelContrastHead

__all__ = ['PixelContrastHead']
