"""Hooks (and the ``DenseCLWarmupHook`` alias of mmpretrain's ``DenseCLHook``)."""

from . import densecl_hook  # noqa: F401  (registers the alias)
from .dense_probe_hook import DenseProbeHook
from .momentum_logger_hook import MomentumLoggerHook
from .non_finite_guard_hook import NonFiniteError, NonFiniteGuardHook
from .safe_checkpoint_hook import SafeCheckpointHook

__all__ = [
    'DenseProbeHook',
    'MomentumLoggerHook',
    'NonFiniteError',
    'NonFiniteGuardHook',
    'SafeCheckpointHook',
]
