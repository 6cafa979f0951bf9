"""Necks: projection heads, propagation modules and receptive-field enlargers."""
from .dense_projection import DenseProjection

__all__ = ['DenseProjection']
