"""The one reader of checkpoint files: weights-only unless the caller says the file is trusted.

Every file a user names (a teacher, a ``Pretrained`` init, a converter's source, a download,
a tool's checkpoint argument, ``load_from``/``--resume``) is read by :func:`read_checkpoint`:

- **weights-only** (``torch.load(weights_only=True)``) by default. Besides tensors and
  builtins it accepts what mmengine's own training checkpoints hold: numpy arrays and scalars
  and the message hub's ``HistoryBuffer`` (whose pickle looks its statistics methods up with
  ``getattr``; only those lookups are allowed). A file that needs anything else is refused
  with :class:`UntrustedCheckpointError`, whose message names the caller's trust switch;
- **fully unpickled** only when the caller passes ``trust=True`` (set by an explicit switch:
  ``--trust``, ``model.teacher.trust=True``, ``init_cfg=dict(..., trust=True)``, ...). That
  runs whatever code the file's pickle names, so it is logged.

Local files are read with ``torch.load``; URLs and mmengine's prefixes (``open-mmlab://``,
``torchvision://``, ``s3://`` ...) through mmengine's ``CheckpointLoader``, under the same
policy (forced through torch's ``TORCH_FORCE_[NO_]WEIGHTS_ONLY_LOAD``, so an environment
variable set for another program cannot loosen it).
"""

import contextlib
import os
import os.path as osp
import pickle
import re
import threading
import zipfile
from typing import Any, Callable, Dict, Iterator, List, Mapping, Sequence, Union

import torch

_FORCE_WEIGHTS_ONLY = 'TORCH_FORCE_WEIGHTS_ONLY_LOAD'
_FORCE_FULL = 'TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD'
# torch names what it refused: "Unsupported global: GLOBAL io.open was not an allowed ...",
# "Can only build Tensor, ... but got <class 'numpy.dtypes.Float64DType'>".
_OFFENDING = re.compile(r"GLOBAL ([\w.]+)|got <class '([\w.]+)'>")

# The policy is process state (torch's environment switches and safe-globals list): reads in
# parallel threads would undo each other's, so one read holds it at a time.
_POLICY_LOCK = threading.RLock()

# torch's RuntimeErrors for files that are not (whole) checkpoints.
_CORRUPT = re.compile(r'PytorchStreamReader|zip archive|magic number|unexpected EOF')

MapLocation = Union[str, torch.device, Callable, None]


class UntrustedCheckpointError(RuntimeError):
    """A checkpoint holds pickled objects that only a full (code-running) unpickling reads."""


class CorruptCheckpointError(RuntimeError):
    """A file is not a readable checkpoint (truncated, empty, or not a torch file at all)."""


def _history_buffer_getattr(obj: Any, name: str) -> Any:
    """``getattr`` restricted to what mmengine's ``HistoryBuffer`` pickles: the lookup of its
    own public statistics methods (``HistoryBuffer.mean`` ...). Anything else is refused, so
    the allowance cannot reach other attributes (``__globals__``, ...)."""
    from mmengine.logging.history_buffer import HistoryBuffer

    if obj is HistoryBuffer and not name.startswith('_') and callable(vars(obj).get(name)):
        return getattr(obj, name)
    raise pickle.UnpicklingError(f'getattr({obj!r}, {name!r}) is not allowed in a checkpoint')


def mmengine_safe_globals() -> List[Any]:
    """What weights-only reading accepts besides torch's defaults: numpy arrays, scalars and
    dtypes, mmengine's ``HistoryBuffer`` and its restricted ``getattr``."""
    import numpy as np
    from mmengine.logging.history_buffer import HistoryBuffer

    multiarray = np._core.multiarray if hasattr(np, '_core') else np.core.multiarray
    dtypes = [getattr(np.dtypes, name) for name in getattr(np.dtypes, '__all__', ())]
    return [
        np.ndarray,
        np.dtype,
        multiarray._reconstruct,
        multiarray.scalar,
        *dtypes,
        HistoryBuffer,
        (_history_buffer_getattr, 'builtins.getattr'),
    ]


@contextlib.contextmanager
def _loading_policy(trust: bool) -> Iterator[None]:
    """Make every ``torch.load`` inside (ours and mmengine's) weights-only, with
    :func:`mmengine_safe_globals` allowed, or full unpickling when ``trust``."""
    with _POLICY_LOCK:
        saved = {key: os.environ.pop(key, None) for key in (_FORCE_WEIGHTS_ONLY, _FORCE_FULL)}
        os.environ[_FORCE_FULL if trust else _FORCE_WEIGHTS_ONLY] = '1'
        try:
            with torch.serialization.safe_globals(mmengine_safe_globals()):
                import warnings

                with warnings.catch_warnings():
                    # torch warns that the variable overrides the call site: that is the point.
                    warnings.filterwarnings('ignore', message='Environment variable TORCH_FORCE')
                    yield
        finally:
            for key, value in saved.items():
                os.environ.pop(key, None)
                if value is not None:
                    os.environ[key] = value


def is_remote(filename: str) -> bool:
    """Whether ``filename`` is a URL or an mmengine prefix (``open-mmlab://`` ...)."""
    return '://' in filename


def _offending_global(message: str) -> str:
    """The global torch refused (e.g. ``io.open``), from its error message."""
    match = _OFFENDING.search(message)
    return (match.group(1) or match.group(2)) if match else 'objects other than tensors'


def _looks_like_torch_file(filename: str) -> bool:
    """A torch zip archive (``*/data.pkl``) or a legacy pickle (protocol >= 2 header)."""
    if zipfile.is_zipfile(filename):
        with zipfile.ZipFile(filename) as archive:
            return any(name.endswith('data.pkl') for name in archive.namelist())
    with open(filename, 'rb') as file:
        return file.read(1) == b'\x80'


def read_checkpoint(
    filename: Union[str, os.PathLike],
    map_location: MapLocation = 'cpu',
    *,
    trust: bool = False,
    switch: str = 'trust=True',
) -> Any:
    """Read a checkpoint file or URL under mmpcd's one policy (see the module docstring).

    Args:
        filename: A local path (``str`` or ``os.PathLike``), a URL or an mmengine prefix
            (``open-mmlab://...``).
        map_location: As ``torch.load``'s. Defaults to ``'cpu'``.
        trust: Unpickle arbitrary objects (runs code the file names). Only for files whose
            origin the user vouches for through ``switch``.
        switch: How the user of the calling entry point says they trust the file
            (``'--trust'``, ``'model.teacher.trust=True'``, ...), quoted by the error.

    Returns:
        What the file holds (usually a dict with ``state_dict``, ``meta`` ...).

    Raises:
        FileNotFoundError: for a local file that does not exist.
        UntrustedCheckpointError: if the file needs full unpickling and ``trust`` is False.
        CorruptCheckpointError: if the file is not a readable checkpoint.
    """
    filename = os.fspath(filename)
    remote = is_remote(filename)
    if not remote and not osp.isfile(filename):
        raise FileNotFoundError(f'checkpoint {filename} does not exist.')
    try:
        with _loading_policy(trust):
            if remote:
                from mmengine.runner.checkpoint import CheckpointLoader

                checkpoint = CheckpointLoader.load_checkpoint(filename, map_location, 'silent')
            else:
                checkpoint = torch.load(filename, map_location=map_location, weights_only=not trust)
    except pickle.UnpicklingError as error:
        if trust or (not remote and not _looks_like_torch_file(filename)):
            raise CorruptCheckpointError(
                f'{filename} is not a readable checkpoint ({_first_line(error)}).'
            ) from None
        raise UntrustedCheckpointError(
            f'{filename} holds pickled Python objects besides tensors '
            f'({_offending_global(str(error))}); mmpcd reads checkpoints weights-only because '
            'unpickling such objects runs code chosen by whoever wrote the file. If you trust '
            f'its origin (e.g. it is your own or an official release), pass {switch}.'
        ) from None
    except (RuntimeError, EOFError, zipfile.BadZipFile) as error:
        if isinstance(error, RuntimeError) and not _CORRUPT.search(str(error)):
            raise  # e.g. a CUDA map_location on a CPU machine: torch's message says it all
        raise CorruptCheckpointError(
            f'{filename} is not a readable checkpoint: it is truncated, empty or not a torch '
            f'file ({_first_line(error)}).'
        ) from error
    if trust:
        from mmengine.logging import print_log

        print_log(f'[mmpcd] read {filename} with full unpickling ({switch}).', logger='current')
    return checkpoint


def _first_line(error: BaseException) -> str:
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return lines[0] if lines else type(error).__name__


def state_dict_of(
    checkpoint: Any, containers: Sequence[str] = ('state_dict', 'model')
) -> Dict[str, Any]:
    """The state dict of a loaded checkpoint: its first entry named in ``containers`` that is
    a mapping (mmengine's ``state_dict``; official PixPro/BYOL files' ``model``), else the
    checkpoint itself when it is a mapping."""
    if isinstance(checkpoint, Mapping):
        for name in containers:
            if isinstance(checkpoint.get(name), Mapping):
                return dict(checkpoint[name])
        return dict(checkpoint)
    raise CorruptCheckpointError(f'expected a checkpoint dict, got {type(checkpoint).__name__}')


def strip_prefix(state_dict: Mapping[str, Any], prefix: str = 'module.') -> Dict[str, Any]:
    """Remove ``prefix`` (DDP's ``module.``) from the keys that have it."""
    return {
        key[len(prefix) :] if key.startswith(prefix) else key: value
        for key, value in state_dict.items()
    }
