"""Loss functions."""
from .pixcontrast_loss import pixcontrast_loss
from .pixel_infonce import pixel_infonce_loss
from .pixpro_loss import pixpro_loss

__all__ = ['pixcontrast_loss', 'pixel_infonce_loss', 'pixpro_loss']
