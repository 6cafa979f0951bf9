"""The model index and the verified download cache (no conversion: see ``mmpcd.apis``)."""

from .cache import default_cache_dir, fetch, is_intact, sha256_of, write_sidecar
from .errors import CheckpointError, CheckpointNotFoundError
from .index import ZooEntry, find_entry, zoo_entries
from .resolve import resolve

__all__ = [
    'CheckpointError',
    'CheckpointNotFoundError',
    'ZooEntry',
    'default_cache_dir',
    'fetch',
    'find_entry',
    'is_intact',
    'resolve',
    'sha256_of',
    'write_sidecar',
    'zoo_entries',
]
