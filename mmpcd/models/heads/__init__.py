"""Heads: registered modules that turn the necks' maps (and crop boxes) into losses."""

from .pcd_head import PCDHead
from .pixcontrast_head import PixContrastHead
from .pixpro_head import PixProHead

__all__ = ['PCDHead', 'PixContrastHead', 'PixProHead']
