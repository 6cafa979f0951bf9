"""High-level APIs: zoo checkpoints ready for mmpcd (:mod:`mmpcd.hub` + converters)."""

from mmpcd.hub import CheckpointError, default_cache_dir, find_entry

from .model_zoo import get_checkpoint

__all__ = ['CheckpointError', 'default_cache_dir', 'find_entry', 'get_checkpoint']
