"""Checkpoint files that a kill cannot leave half-written, and finding the last whole one.

A checkpoint is written to ``<name>.<pid>.tmp`` beside its final path, flushed to disk
(``fsync`` of the file and of its directory) and renamed into place, so the final path holds
either the previous checkpoint or the whole new one. ``--resume auto`` takes the newest file
that is a whole torch archive, skipping (with a warning) a truncated one that an older writer
or a full disk left behind.
"""

import glob
import os
import os.path as osp
import re
import zipfile
from typing import Callable, List, Optional

TMP_SUFFIX = '.tmp'


def temporary_path(path: str) -> str:
    """Where :func:`commit` expects the new content of ``path`` (unique to the process)."""
    return f'{path}.{os.getpid()}{TMP_SUFFIX}'


def _fsync(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def commit(tmp: str, path: str) -> None:
    """Flush ``tmp`` to disk and rename it to ``path`` (atomic on POSIX file systems)."""
    _fsync(tmp)
    os.replace(tmp, path)
    _fsync(osp.dirname(osp.abspath(path)))  # the rename itself


def write_text_atomically(path: str, text: str) -> None:
    tmp = temporary_path(path)
    with open(tmp, 'w') as file:
        file.write(text)
    commit(tmp, path)


def remove_stale_temporaries(directory: str) -> List[str]:
    """Delete the ``*.pth.<pid>.tmp`` files of writers that died; returns them."""
    stale = [
        path
        for path in glob.glob(osp.join(directory, f'*.pth.*{TMP_SUFFIX}'))
        if not path.endswith(f'.{os.getpid()}{TMP_SUFFIX}')
    ]
    for path in stale:
        os.remove(path)
    return stale


def is_whole_checkpoint(path: str) -> bool:
    """Whether ``path`` is a complete torch zip archive (its central directory, written last,
    is there and lists the pickle)."""
    try:
        with zipfile.ZipFile(path) as archive:
            return any(name.endswith('data.pkl') for name in archive.namelist())
    except (OSError, zipfile.BadZipFile):
        return False


def _step(path: str) -> int:
    numbers = re.findall(r'\d+', osp.basename(path))
    return int(numbers[-1]) if numbers else -1


def find_resumable_checkpoint(work_dir: str, warn: Callable[[str], None] = print) -> Optional[str]:
    """The checkpoint ``--resume auto`` should take: the one ``last_checkpoint`` names, else
    the newest ``*.pth`` of ``work_dir``, skipping files that are not whole checkpoints.

    Args:
        work_dir: The run's work dir.
        warn: Called with a message for every skipped file.
    """
    candidates = []
    named = osp.join(work_dir, 'last_checkpoint')
    if osp.isfile(named):
        with open(named) as file:
            candidates.append(file.read().strip())
    others = sorted(
        glob.glob(osp.join(work_dir, '*.pth')), key=lambda p: (_step(p), osp.getmtime(p))
    )
    candidates += [path for path in reversed(others) if path not in candidates]
    for index, path in enumerate(candidates):
        if osp.isfile(path) and is_whole_checkpoint(path):
            return path
        following = next(
            (p for p in candidates[index + 1 :] if osp.isfile(p) and is_whole_checkpoint(p)), None
        )
        warn(
            f'{path} is missing, truncated or not a checkpoint (a run killed while saving?): '
            f'skipping it; resuming from {following or "nothing (training starts afresh)"}.'
        )
    return None
