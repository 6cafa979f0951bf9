"""Runners."""
from .mmpcd_runner import MMPCDRunner, build_runner, full_checkpoint_unpickling

__all__ = ['MMPCDRunner', 'build_runner', 'full_checkpoint_unpickling']
