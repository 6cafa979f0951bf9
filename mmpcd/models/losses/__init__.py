"""Loss functions."""

from .pcd_infonce import pcd_infonce_loss
from .pixcontrast_loss import pixcontrast_loss
from .pixpro_loss import pixpro_loss

__all__ = ['pcd_infonce_loss', 'pixcontrast_loss', 'pixpro_loss']
