"""Optimizers and optimizer-wrapper constructors."""

from .frozen_aware_constructor import FrozenAwareOptimWrapperConstructor
from .lars import PCDLARS, PixProLARS

__all__ = ['FrozenAwareOptimWrapperConstructor', 'PCDLARS', 'PixProLARS']
