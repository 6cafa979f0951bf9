"""Algorithms (self-supervised pre-training and distillation) that combine the parts below."""
from .densecl import DenseCL

__all__ = ['DenseCL']
