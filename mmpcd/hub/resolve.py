"""What a user may name as a checkpoint -> a file to read: a path, a URL or a zoo model."""

import os.path as osp
from typing import NamedTuple, Optional

from mmpcd.utils.checkpoint import is_remote

from .cache import check_direct, fetch, is_url
from .errors import CheckpointError
from .index import ZooEntry, find_entry


class Resolved(NamedTuple):
    """``path``: a local file (or an mmengine prefix such as ``open-mmlab://``, read through
    mmengine); ``entry``: the zoo entry it came from, if any."""

    path: str
    entry: Optional[ZooEntry] = None


def resolve(
    name: str,
    cache_dir: Optional[str] = None,
    show_progress: bool = True,
    model_index: Optional[str] = None,
    trust: bool = False,
) -> Resolved:
    """The local file behind ``name``, downloading URLs and zoo models into the verified
    cache (:func:`mmpcd.hub.fetch`). No conversion.

    Args:
        name: A local file, an ``http(s)://``/``file://`` URL, an mmengine prefix
            (``open-mmlab://``, ``torchvision://``: left to mmengine) or a model of
            ``model-index.yml`` (its name, config path or config file name; a ``.py`` file
            is always a config).
        cache_dir, show_progress, trust: See :func:`mmpcd.hub.fetch`.
        model_index: Another ``model-index.yml`` (tests); defaults to mmpcd's.

    Raises:
        CheckpointNotFoundError: (a ``FileNotFoundError``) if ``name`` is none of these; the
            message lists close zoo names.
        CheckpointError: for zoo models without weights and failed downloads.
    """
    if osp.isfile(name) and not name.endswith('.py'):  # a config names its zoo model
        return Resolved(name)
    if is_url(name):
        return Resolved(fetch(name, cache_dir, show_progress=show_progress, trust=trust))
    if is_remote(name):
        return Resolved(name)
    entry = find_entry(name, model_index)
    if not entry.weights:
        raise CheckpointError(
            f'{entry.name} has no public weights (see its metafile); train it with {entry.config}.'
        )
    check_direct(entry.weights)
    path = fetch(entry.weights, cache_dir, entry.sha256, show_progress=show_progress, trust=trust)
    return Resolved(path, entry)
