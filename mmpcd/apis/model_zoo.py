"""Checkpoints of the model zoo, ready for mmpcd: resolve, fetch, convert and cache.

``get_checkpoint('densecl_resnet50_8xb32-coslr-200e_in1k')`` returns the local path of a
checkpoint that ``torch.load(..., weights_only=True)`` reads, fetching it once into the
verified cache of :mod:`mmpcd.hub` (``~/.cache/mmpcd/checkpoints``, or
``$MMPCD_CACHE_DIR/checkpoints``) and converting upstream layouts with the converter its
metafile names (the converted file is cached beside it, with its own recorded sha256).
"""

import os
import os.path as osp
from typing import Callable, Dict, List, Optional, Tuple

import torch

from mmpcd.hub import CheckpointError, is_intact, resolve, write_sidecar
from mmpcd.hub.cache import cache_lock, default_cache_dir
from mmpcd.utils.checkpoint import CorruptCheckpointError, UntrustedCheckpointError, read_checkpoint

StateDict = Dict[str, torch.Tensor]
TRUST_SWITCH = 'trust=True to get_checkpoint (--trust to tools/misc/download_checkpoint.py)'


def safe_load(path: str, trust: bool = False) -> object:
    """:func:`mmpcd.utils.checkpoint.read_checkpoint` with the errors of this module.

    Raises:
        CheckpointError: if the file needs full unpickling and ``trust`` is False, or is not
            a readable checkpoint.
    """
    try:
        return read_checkpoint(path, trust=trust, switch=TRUST_SWITCH)
    except (UntrustedCheckpointError, CorruptCheckpointError) as error:
        raise CheckpointError(str(error)) from None


def _converters() -> Dict[str, Callable[[object], Tuple[StateDict, List[str]]]]:
    """Converter name (as metafiles name the CLI, by file stem) -> conversion function."""
    from mmpcd.converters import densecl, pixpro

    return {
        'densecl_to_mmpcd': densecl.convert_checkpoint,
        'pixpro_to_mmpcd': pixpro.convert_checkpoint,
    }


def convert_file(path: str, converter: str, dst: str, trust: bool = False) -> str:
    """Convert ``path`` with ``converter`` (a metafile ``Converter`` entry) into ``dst``,
    atomically, and record its sha256 beside it."""
    name = osp.splitext(osp.basename(converter))[0]
    converters = _converters()
    if name not in converters:
        raise CheckpointError(f'unknown converter {converter!r}; known: {sorted(converters)}')
    state_dict, notes = converters[name](safe_load(path, trust))
    tmp = f'{dst}.{os.getpid()}.tmp'
    torch.save(
        dict(
            state_dict=state_dict,
            meta=dict(converted_from=osp.basename(path), converter=name, notes=notes),
        ),
        tmp,
    )
    os.replace(tmp, dst)
    write_sidecar(dst)
    return dst


def get_checkpoint(
    name_or_url: str,
    cache_dir: Optional[str] = None,
    convert: bool = True,
    trust: bool = False,
    show_progress: bool = True,
    converter: Optional[str] = None,
    model_index: Optional[str] = None,
) -> str:
    """Local path of a verified, weights-only-loadable checkpoint.

    Args:
        name_or_url: A local file, an ``http(s)://``/``file://`` URL, or a model of
            ``model-index.yml`` (its name, config path or config file name).
        cache_dir: Where downloads live. Defaults to :func:`mmpcd.hub.default_cache_dir`.
        convert: Convert upstream layouts with the metafile's ``Converter``; the converted
            file is cached next to the download as ``<stem>_mmpcd.pth``.
        trust: Allow the full unpickler for files that ``weights_only=True`` refuses (only
            for sources you trust).
        show_progress: Show a progress bar while downloading.
        converter: Convert with this converter (e.g. ``'pixpro_to_mmpcd'``) instead of the
            metafile's: for a file fetched by hand (e.g. from Google Drive).
        model_index: Another ``model-index.yml`` (tests); defaults to mmpcd's.

    Raises:
        CheckpointError: for unknown names, models without weights, unreachable URLs when
            nothing is cached, failed verification and untrusted pickles.
    """
    cache_dir = cache_dir or default_cache_dir()
    path, entry = resolve(name_or_url, cache_dir, show_progress, model_index, trust)
    converter = converter or (entry.converter if entry is not None else None)
    if convert and converter:
        dst = osp.join(cache_dir, osp.splitext(osp.basename(path))[0] + '_mmpcd.pth')
        with cache_lock(dst):
            if not (osp.isfile(dst) and is_intact(dst)):
                convert_file(path, converter, dst, trust)
        path = dst
    safe_load(path, trust)
    return path
