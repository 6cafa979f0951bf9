"""Hooks."""
from .densecl_warmup_hook import DenseCLWarmupHook
from .momentum_logger_hook import MomentumLoggerHook

__all__ = ['DenseCLWarmupHook', 'MomentumLoggerHook']
