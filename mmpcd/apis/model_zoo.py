"""Checkpoints of the model zoo: resolve, download, verify, convert and cache.

``get_checkpoint('densecl_resnet50_8xb32-coslr-200e_in1k')`` returns the local path of a
checkpoint that ``torch.load(..., weights_only=True)`` reads, fetching it once into the cache
(``~/.cache/mmpcd/checkpoints``, or ``$MMPCD_CACHE_DIR/checkpoints``) and converting upstream
layouts with the converter its metafile names.
"""
import hashlib
import os
import os.path as osp
import re
import urllib.error
import urllib.parse
import urllib.request
from contextlib import nullcontext
from typing import Callable, Dict, List, NamedTuple, Optional, Tuple

import torch

from mmpcd.utils.checkpoint_conversion import ConversionError, StateDict, load_source

PACKAGE_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
MODEL_INDEX = osp.join(PACKAGE_ROOT, '.mim', 'model-index.yml')
# OpenMMLab names published files ``<name>_<date>-<first 8+ hex digits of the sha256>.pth``;
# the rule holds on its own host only (other releases reuse e.g. their teacher's name).
SHA256_SUFFIX = re.compile(r'-([0-9a-f]{8,64})\.(pth|pt|ckpt)$')
NAME_HASH_HOSTS = ('download.openmmlab.com', )
# Hosts whose share links are web pages, not files.
NOT_DIRECT = ('drive.google.com', 'docs.google.com')
CHUNK = 1 << 20


class CheckpointError(RuntimeError):
    """A checkpoint cannot be resolved, fetched, verified or loaded safely."""


class ZooEntry(NamedTuple):
    """What the model index says about one model."""
    name: str
    weights: Optional[str]
    config: Optional[str]
    converter: Optional[str]
    teacher_layout: Optional[str] = None  # PCD teachers: how mmpcd reads the checkpoint
    sha256: Optional[str] = None  # a prefix of the file's sha256 given by the metafile


def default_cache_dir() -> str:
    """``$MMPCD_CACHE_DIR/checkpoints``, else ``~/.cache/mmpcd/checkpoints``."""
    root = os.environ.get('MMPCD_CACHE_DIR', osp.join(osp.expanduser('~'), '.cache', 'mmpcd'))
    return osp.join(root, 'checkpoints')


def zoo_entries(model_index: Optional[str] = None) -> List[ZooEntry]:
    """Every model of ``model-index.yml`` (mmpcd's by default)."""
    from modelindex.load_model_index import load
    index = load(model_index or MODEL_INDEX)
    entries = []
    for model in index.models:
        metadata = (model.metadata.data if model.metadata is not None else {}) or {}
        entries.append(ZooEntry(model.name, model.weights, model.config,
                                metadata.get('Converter'), metadata.get('Teacher Layout'),
                                metadata.get('SHA256')))
    return entries


def find_entry(name: str, model_index: Optional[str] = None) -> ZooEntry:
    """The entry named ``name``, or whose config path / file name / stem is ``name``.

    Raises:
        CheckpointError: if nothing matches (with the closest names).
    """
    entries = zoo_entries(model_index)
    stem = osp.splitext(osp.basename(name))[0]
    for entry in entries:
        config = entry.config or ''
        if name in (entry.name, config) or stem == osp.splitext(osp.basename(config))[0]:
            return entry
    close = [entry.name for entry in entries if stem.split('_')[0] in entry.name][:8]
    raise CheckpointError(f'{name!r} is neither a file, a URL nor a model of the zoo '
                          f'(model-index.yml). Similar names: {close or "none"}.')


def _is_url(text: str) -> bool:
    return re.match(r'^(https?|file)://', text) is not None


def _check_direct(url: str) -> None:
    if any(host in url for host in NOT_DIRECT):
        raise CheckpointError(
            f'{url} is a Google Drive share page, not a file: download it in a browser, then '
            'pass the local path (get_checkpoint(PATH) or tools/misc/download_checkpoint.py '
            'PATH) to verify and convert it.')


def _progress(total: Optional[int], done: int, name: str):
    """A rich progress bar (mmengine depends on rich) over bytes."""
    from rich.progress import (BarColumn, DownloadColumn, Progress, TextColumn,
                               TransferSpeedColumn)
    progress = Progress(TextColumn(name), BarColumn(), DownloadColumn(), TransferSpeedColumn())
    task = progress.add_task('download', total=total, completed=done)
    return progress, task


def download(url: str, dst: str, show_progress: bool = True) -> str:
    """Download ``url`` to ``dst`` through ``dst + '.part'``, resuming a partial file when the
    server honours ``Range``, and rename it into place only when complete.

    Raises:
        CheckpointError: when the server cannot be reached (offline) or answers an error.
    """
    _check_direct(url)
    os.makedirs(osp.dirname(osp.abspath(dst)), exist_ok=True)
    part = dst + '.part'
    done = osp.getsize(part) if osp.exists(part) else 0
    request = urllib.request.Request(url, headers={'Range': f'bytes={done}-'} if done else {})
    try:
        response = urllib.request.urlopen(request, timeout=30)
    except urllib.error.HTTPError as error:
        if error.code == 416 and done:  # the partial file is already complete
            os.replace(part, dst)
            return dst
        raise CheckpointError(f'downloading {url} failed: HTTP {error.code} {error.reason}.')
    except (urllib.error.URLError, OSError) as error:
        raise CheckpointError(
            f'cannot reach {url} ({getattr(error, "reason", error)}): the machine looks '
            f'offline and the checkpoint is not cached at {dst}. Download it elsewhere and '
            'copy it there, or pass its local path.') from error
    with response:
        resumed = done and getattr(response, 'status', 200) == 206
        mode, done = ('ab', done) if resumed else ('wb', 0)
        length = response.headers.get('Content-Length')
        total = done + int(length) if length is not None else None
        progress, task = _progress(total, done, osp.basename(dst))
        with open(part, mode) as file, progress if show_progress else nullcontext():
            while True:
                chunk = response.read(CHUNK)
                if not chunk:
                    break
                file.write(chunk)
                progress.update(task, advance=len(chunk))
    if total is not None and osp.getsize(part) != total:
        raise CheckpointError(f'downloading {url} stopped at {osp.getsize(part)} of {total} '
                              f'bytes; run again to resume from {part}.')
    os.replace(part, dst)
    return dst


def sha256_of(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, 'rb') as file:
        for chunk in iter(lambda: file.read(CHUNK), b''):
            digest.update(chunk)
    return digest.hexdigest()


def expected_sha256(url: str, entry: Optional[ZooEntry] = None) -> Optional[str]:
    """The sha256 prefix a download must have: the metafile's, else the one in the file
    name for OpenMMLab-hosted files, else None (nothing to verify)."""
    if entry is not None and entry.sha256:
        return str(entry.sha256).lower()
    match = SHA256_SUFFIX.search(osp.basename(url.split('?')[0]))
    if match is not None and urllib.parse.urlparse(url).hostname in NAME_HASH_HOSTS:
        return match.group(1)
    return None


def verify_sha256(path: str, expected: Optional[str]) -> None:
    """Check that ``path``'s sha256 starts with ``expected`` (nothing to do for None).

    Raises:
        CheckpointError: if it does not (the file is then deleted).
    """
    if not expected:
        return
    actual = sha256_of(path)
    if not actual.startswith(expected):
        os.remove(path)
        raise CheckpointError(
            f'{osp.basename(path)}: sha256 {actual[:len(expected)]} does not match the '
            f'expected {expected}; the file was corrupt or tampered with and has been '
            'deleted. Run again to re-download it.')


def safe_load(path: str, trust: bool = False) -> object:
    """``torch.load(path, weights_only=True)``, or the full unpickler if ``trust``.

    Raises:
        CheckpointError: if the file needs arbitrary globals and ``trust`` is False.
    """
    try:
        return load_source(path, trust)
    except ConversionError as error:
        raise CheckpointError(f'{error}\n(From Python: get_checkpoint(..., trust=True).)') \
            from error


def _converters() -> Dict[str, Callable[[object], Tuple[StateDict, List[str]]]]:
    """Converter name (as metafiles name the CLI, by file stem) -> conversion function."""
    from mmpcd.converters import densecl, pixpro
    return {'densecl_to_mmpcd': densecl.convert_checkpoint,
            'pixpro_to_mmpcd': pixpro.convert_checkpoint}


def convert_file(path: str, converter: str, dst: str, trust: bool = False) -> str:
    """Convert ``path`` with ``converter`` (a metafile ``Converter`` entry) into ``dst``."""
    name = osp.splitext(osp.basename(converter))[0]
    converters = _converters()
    if name not in converters:
        raise CheckpointError(f'unknown converter {converter!r}; known: {sorted(converters)}')
    state_dict, notes = converters[name](safe_load(path, trust))
    tmp = dst + '.tmp'
    torch.save(dict(state_dict=state_dict, meta=dict(converted_from=osp.basename(path),
                                                     converter=name, notes=notes)), tmp)
    os.replace(tmp, dst)
    return dst


def get_checkpoint(name_or_url: str,
                   cache_dir: Optional[str] = None,
                   convert: bool = True,
                   trust: bool = False,
                   show_progress: bool = True,
                   converter: Optional[str] = None,
                   model_index: Optional[str] = None) -> str:
    """Local path of a verified, weights-only-loadable checkpoint.

    Args:
        name_or_url: A local file, an ``http(s)://``/``file://`` URL, or a model of
            ``model-index.yml`` (its name, config path or config file name).
        cache_dir: Where downloads live. Defaults to :func:`default_cache_dir`.
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
            nothing is cached, sha256 mismatches and untrusted pickles.
    """
    cache_dir = cache_dir or default_cache_dir()
    if osp.isfile(name_or_url):
        path = name_or_url
    else:
        entry = None
        if _is_url(name_or_url):
            url = name_or_url
        else:
            entry = find_entry(name_or_url, model_index)
            if not entry.weights:
                raise CheckpointError(
                    f'{entry.name} has no public weights (see its metafile); train it with '
                    f'{entry.config}.')
            url, converter = entry.weights, converter or entry.converter
        _check_direct(url)
        path = osp.join(cache_dir, osp.basename(url.split('?')[0]))
        if not osp.isfile(path):
            download(url, path, show_progress)
            verify_sha256(path, expected_sha256(url, entry))
    if convert and converter:
        dst = osp.join(cache_dir, osp.splitext(osp.basename(path))[0] + '_mmpcd.pth')
        if not osp.isfile(dst):
            convert_file(path, converter, dst, trust)
        path = dst
    safe_load(path, trust)
    return path
