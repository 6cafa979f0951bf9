"""Hooks (and the ``DenseCLWarmupHook`` alias of mmpretrain's ``DenseCLHook``)."""
from . import densecl_hook  # noqa: F401  (registers the alias)
from .momentum_logger_hook import MomentumLoggerHook

__all__ = ['MomentumLoggerHook']
