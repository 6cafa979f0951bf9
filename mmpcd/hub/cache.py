"""The verified download cache: a file enters it whole and checked, or not at all.

:func:`fetch` downloads a URL into ``<cache>/<file name>``:

- under a file lock (``<file>.lock``), so that the ranks of a job download once and the others
  wait and then take the cached file;
- into a ``.part`` file unique to the process, resuming a partial file left by an earlier
  attempt (dropped connection, stall) when the server honours ``Range``;
- verified **before** the atomic rename into place: the size the server announced, the sha256
  where it is known (metafile, or an OpenMMLab file name), that it is a torch checkpoint
  (``torch.load(weights_only=True)`` reads it, or it is a valid torch file whose objects need
  ``trust``); a web page (``text/html``, e.g. a login or share page) is refused;
- recorded with its sha256 in ``<file>.sha256``: a cached file that no longer matches it
  (tampered with, damaged) is downloaded again.
"""

import contextlib
import glob
import hashlib
import http.client
import os
import os.path as osp
import re
import socket
import urllib.error
import urllib.parse
import urllib.request
import uuid
from typing import Iterator, Optional

from mmengine.logging import print_log

from mmpcd.utils.checkpoint import CorruptCheckpointError, UntrustedCheckpointError, read_checkpoint

from .errors import CheckpointError

CHUNK = 1 << 20
# Seconds without a byte from the server before a download is abandoned (and resumable).
TIMEOUT = 30
# OpenMMLab names published files ``<name>_<date>-<first 8+ hex digits of the sha256>.pth``;
# the rule holds on its own host only (other releases reuse e.g. their teacher's name).
SHA256_SUFFIX = re.compile(r'-([0-9a-f]{8,64})\.(pth|pt|ckpt)$')
NAME_HASH_HOSTS = ('download.openmmlab.com',)
# Hosts whose share links are web pages, not files.
NOT_DIRECT = ('drive.google.com', 'docs.google.com')
SIDECAR = '.sha256'


def default_cache_dir() -> str:
    """``$MMPCD_CACHE_DIR/checkpoints``, else ``~/.cache/mmpcd/checkpoints``."""
    root = os.environ.get('MMPCD_CACHE_DIR', osp.join(osp.expanduser('~'), '.cache', 'mmpcd'))
    return osp.join(root, 'checkpoints')


def is_url(text: str) -> bool:
    return re.match(r'^(https?|file)://', text) is not None


def check_direct(url: str) -> None:
    """Refuse share links that are web pages (Google Drive), with what to do instead."""
    if any(host in url for host in NOT_DIRECT):
        raise CheckpointError(
            f'{url} is a Google Drive share page, not a file: download it in a browser, then '
            'pass the local path (get_checkpoint(PATH) or tools/misc/download_checkpoint.py '
            'PATH) to verify and convert it.'
        )


def sha256_of(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, 'rb') as file:
        for chunk in iter(lambda: file.read(CHUNK), b''):
            digest.update(chunk)
    return digest.hexdigest()


def expected_sha256(url: str, known: Optional[str] = None) -> Optional[str]:
    """The sha256 prefix a download must have: ``known`` (a metafile's), else the one in the
    file name for OpenMMLab-hosted files, else None (nothing to compare with)."""
    if known:
        return str(known).lower()
    match = SHA256_SUFFIX.search(osp.basename(url.split('?')[0]))
    if match is not None and urllib.parse.urlparse(url).hostname in NAME_HASH_HOSTS:
        return match.group(1)
    return None


def write_sidecar(path: str, digest: Optional[str] = None) -> str:
    """Record ``path``'s sha256 in ``path + '.sha256'`` (atomically); returns the digest."""
    digest = digest or sha256_of(path)
    tmp = f'{path}{SIDECAR}.{os.getpid()}.tmp'
    with open(tmp, 'w') as file:
        file.write(digest + '\n')
    os.replace(tmp, path + SIDECAR)
    return digest


def is_intact(path: str, expected: Optional[str] = None) -> bool:
    """Whether a cached ``path`` still has the sha256 recorded beside it (and ``expected``)."""
    try:
        with open(path + SIDECAR) as file:
            recorded = file.read().strip()
    except FileNotFoundError:
        return False
    actual = sha256_of(path)
    return actual == recorded and (not expected or actual.startswith(expected))


def remove_cached(path: str) -> None:
    for stale in (path, path + SIDECAR):
        with contextlib.suppress(FileNotFoundError):
            os.remove(stale)


@contextlib.contextmanager
def cache_lock(path: str) -> Iterator[None]:
    """Hold ``path + '.lock'`` (an OS file lock: released if the holder dies)."""
    from filelock import FileLock, Timeout

    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    lock = FileLock(path + '.lock')
    try:
        lock.acquire(timeout=0)
    except Timeout:
        print_log(
            f'[mmpcd] waiting for another process to finish {osp.basename(path)} ...',
            logger='current',
        )
        lock.acquire()
    try:
        yield
    finally:
        lock.release()


def _claim_part(dst: str) -> str:
    """A ``.part`` path unique to this process, holding the largest partial download of
    ``dst`` left by an earlier attempt (other leftovers are removed). Call under the lock."""
    own = f'{dst}.{os.getpid()}-{uuid.uuid4().hex[:8]}.part'
    leftovers = sorted(glob.glob(glob.escape(dst) + '*.part'), key=osp.getsize)
    for stale in leftovers[:-1]:
        os.remove(stale)
    if leftovers:
        os.replace(leftovers[-1], own)
    return own


def _progress(total: Optional[int], done: int, name: str):
    """A rich progress bar (mmengine depends on rich) over bytes."""
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

    progress = Progress(TextColumn(name), BarColumn(), DownloadColumn(), TransferSpeedColumn())
    task = progress.add_task('download', total=total, completed=done)
    return progress, task


def _total_size(response, done: int, resumed: bool) -> Optional[int]:
    """The size the whole file must have, from ``Content-Range`` or ``Content-Length``."""
    content_range = response.headers.get('Content-Range', '')
    match = re.search(r'/(\d+)$', content_range)
    if resumed and match:
        return int(match.group(1))
    length = response.headers.get('Content-Length')
    return (done if resumed else 0) + int(length) if length is not None else None


def _refuse_web_page(url: str, response, first: bytes) -> None:
    content_type = response.headers.get('Content-Type', '')
    if 'text/html' in content_type or first.lstrip()[:1] == b'<':
        got = content_type.split(';')[0] or 'an HTML page'
        raise CheckpointError(
            f'{url} is not a checkpoint (got {got} from {response.geturl()}): the address is '
            'a web page (a login, share or error page), not the file. Find the direct '
            'download link, or download it in a browser and pass the local path.'
        )


def download(
    url: str,
    part: str,
    show_progress: bool = True,
    timeout: float = TIMEOUT,
    destination: Optional[str] = None,
) -> Optional[int]:
    """Download ``url`` into ``part``, appending to what it holds when the server honours
    ``Range``; returns the size the complete file must have (None if the server did not
    say). Nothing is verified here. ``destination`` (the cached file's path) is named in the
    offline error as the place to copy the file to by hand.

    Raises:
        CheckpointError: offline, HTTP errors, web pages, dropped or stalled connections
            (``part`` is then kept for the next attempt to resume).
    """
    done = osp.getsize(part) if osp.exists(part) else 0
    request = urllib.request.Request(url, headers={'Range': f'bytes={done}-'} if done else {})
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as error:
        if error.code == 416 and done:  # the partial file is already complete
            return None
        raise CheckpointError(f'downloading {url} failed: HTTP {error.code} {error.reason}.')
    except (urllib.error.URLError, OSError) as error:
        raise CheckpointError(
            f'cannot reach {url} ({getattr(error, "reason", error)}): the machine looks '
            'offline and the checkpoint is not cached. Download it elsewhere and pass its '
            f'local path, or copy it to {destination or "the cache (default_cache_dir())"} '
            '(checked on first use, $MMPCD_CACHE_DIR moves the cache).'
        ) from error
    with response:
        resumed = bool(done) and getattr(response, 'status', 200) == 206
        total = _total_size(response, done, resumed)
        done = done if resumed else 0
        try:
            first = response.read1(CHUNK)  # what has arrived: a stall keeps it
            _refuse_web_page(url, response, first)
            progress, task = _progress(total, done, osp.basename(url.split('?')[0]))
            with (
                open(part, 'ab' if resumed else 'wb') as file,
                progress if show_progress else contextlib.nullcontext(),
            ):
                chunk = first
                while chunk:
                    file.write(chunk)
                    progress.update(task, advance=len(chunk))
                    chunk = response.read1(CHUNK)
        except (socket.timeout, TimeoutError, http.client.HTTPException, ConnectionError) as e:
            raise CheckpointError(
                f'downloading {url} broke off at {_size(part)} of {total or "?"} bytes '
                f'({type(e).__name__}: {e}); run again to resume.'
            ) from e
    return total


def _size(path: str) -> int:
    return osp.getsize(path) if osp.exists(path) else 0


def verify(part: str, url: str, total: Optional[int], expected: Optional[str], trust: bool) -> str:
    """Check a finished download; returns its sha256.

    Raises:
        CheckpointError: for a wrong size, sha256 or a file that is not a checkpoint (the
            part is deleted, except when it is short of a known size: then it is resumable).
    """
    size = _size(part)
    if total is not None and size < total:
        raise CheckpointError(
            f'downloading {url} stopped at {size} of {total} bytes; run again to resume.'
        )
    try:
        if total is not None and size > total:
            raise CheckpointError(
                f'{url}: the download has {size} bytes but the server '
                f'announced {total}; it was deleted, run again.'
            )
        actual = sha256_of(part)
        if expected and not actual.startswith(expected):
            raise CheckpointError(
                f'{osp.basename(url)}: sha256 {actual[: len(expected)]} does not match the '
                f'expected {expected}; the download was corrupt or tampered with and has been '
                'deleted. Run again to download it again.'
            )
        try:
            read_checkpoint(part, trust=trust)
        except UntrustedCheckpointError:
            pass  # a whole torch file whose objects need trust: the reader of it decides
        except CorruptCheckpointError as error:
            raise CheckpointError(f'{url} is not a checkpoint: {error} It was deleted.') from None
    except CheckpointError:
        os.remove(part)
        raise
    return actual


def _adopt(path: str, expected: Optional[str], trust: bool) -> bool:
    """Record the sha256 of a cached file that has none yet (put there by hand, or by an
    mmpcd without sidecars) if it passes the checks of a download."""
    if osp.exists(path + SIDECAR):
        return False
    digest = sha256_of(path)
    if expected and not digest.startswith(expected):
        return False
    try:
        read_checkpoint(path, trust=trust)
    except UntrustedCheckpointError:
        pass
    except CorruptCheckpointError:
        return False
    write_sidecar(path, digest)
    return True


def fetch(
    url: str,
    cache_dir: Optional[str] = None,
    sha256: Optional[str] = None,
    show_progress: bool = True,
    trust: bool = False,
    timeout: float = TIMEOUT,
) -> str:
    """Local path of ``url``'s file in the verified cache, downloading it once.

    Args:
        url: ``http(s)://`` or ``file://`` URL of a checkpoint.
        cache_dir: Defaults to :func:`default_cache_dir`.
        sha256: The file's sha256 (or a prefix), if known from elsewhere (a metafile).
        show_progress: Show a progress bar while downloading.
        trust: Let the verification unpickle objects (only for sources you trust).
        timeout: Seconds without data before the download is abandoned (resumable).

    Raises:
        CheckpointError: see :func:`download` and :func:`verify`.
    """
    check_direct(url)
    dst = osp.join(cache_dir or default_cache_dir(), osp.basename(url.split('?')[0]))
    expected = expected_sha256(url, sha256)
    with cache_lock(dst):
        if osp.isfile(dst):
            if is_intact(dst, expected) or _adopt(dst, expected, trust):
                return dst
            print_log(
                f'[mmpcd] {dst} does not match its recorded sha256 (or has none): '
                'downloading it again.',
                logger='current',
                level=30,
            )
            remove_cached(dst)
        part = _claim_part(dst)
        total = download(url, part, show_progress, timeout, destination=dst)
        digest = verify(part, url, total, expected, trust)
        os.replace(part, dst)
        write_sidecar(dst, digest)
    return dst
