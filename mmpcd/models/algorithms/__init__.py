"""Algorithms (self-supervised pre-training and distillation) that combine the parts below."""

from .densecl import DenseCL
from .pcd import PCD
from .pixcontrast import PixContrast
from .pixpro import PixPro

__all__ = ['DenseCL', 'PCD', 'PixContrast', 'PixPro']
