"""High-level APIs (model zoo)."""
from .model_zoo import CheckpointError, default_cache_dir, find_entry, get_checkpoint

__all__ = ['CheckpointError', 'default_cache_dir', 'find_entry', 'get_checkpoint']
