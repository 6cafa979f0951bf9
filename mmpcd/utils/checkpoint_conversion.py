"""Reading foreign checkpoints safely, for the converters in ``tools/model_converters``."""
import pickle
from typing import Any, Dict, Mapping, Sequence

import torch

MAX_LISTED = 10

StateDict = Dict[str, torch.Tensor]


class ConversionError(ValueError):
    """The checkpoint cannot be converted (unknown layout, or it does not fit the model)."""


def listing(keys: Sequence[str]) -> str:
    """Up to ``MAX_LISTED`` keys, comma-separated, with the number of the others."""
    shown = ', '.join(keys[:MAX_LISTED])
    more = len(keys) - MAX_LISTED
    return shown + (f', ... ({more} more)' if more > 0 else '')


def load_source(path: str, trust: bool = False) -> Any:
    """Read a checkpoint file on the CPU, with ``weights_only=True`` unless that fails and
    ``trust`` allows ``weights_only=False``.

    Raises:
        ConversionError: if the file holds pickled Python objects and ``trust`` is False.
    """
    try:
        return torch.load(path, map_location='cpu', weights_only=True)
    except pickle.UnpicklingError as error:
        if not trust:
            raise ConversionError(
                f'{path} holds pickled Python objects besides tensors (mmengine full '
                'checkpoints keep e.g. message_hub\'s HistoryBuffer), which only '
                'torch.load(..., weights_only=False) reads, and that can run arbitrary code. '
                'Re-run with --trust if you trust the source of this file.\n'
                f'torch said: {str(error).splitlines()[0]}') from error
    print(f'notice: {path} is not loadable with weights_only=True; loading it with '
          'weights_only=False because --trust says the file is trusted.')
    return torch.load(path, map_location='cpu', weights_only=False)


def extract_state_dict(checkpoint: Any,
                       containers: Sequence[str] = ('state_dict', )) -> StateDict:
    """The state dict of a checkpoint: its first entry named in ``containers`` that is a
    mapping (mmengine's ``state_dict``; PixPro's ``model``), or the checkpoint itself when it
    is a plain mapping of tensors; everything else (``meta``, ``message_hub``,
    ``optimizer``, ...) is left out."""
    container = next((name for name in containers if isinstance(checkpoint, Mapping)
                      and isinstance(checkpoint.get(name), Mapping)), None)
    if container is not None:
        state_dict = checkpoint[container]
    elif isinstance(checkpoint, Mapping) and checkpoint and all(
            isinstance(value, torch.Tensor) for value in checkpoint.values()):
        state_dict = checkpoint
    else:
        found = list(checkpoint)[:MAX_LISTED] if isinstance(checkpoint, Mapping) else \
            type(checkpoint).__name__
        raise ConversionError(f'no state dict found: expected a mapping of tensors or one '
                              f'under {" or ".join(map(repr, containers))}, got {found}')
    not_tensors = [key for key, value in state_dict.items() if not isinstance(value, torch.Tensor)]
    if not_tensors:
        raise ConversionError(f'the state dict has non-tensor entries: {listing(not_tensors)}')
    return dict(state_dict)


def strip_ddp_prefix(state_dict: StateDict) -> StateDict:
    """Remove the ``module.`` that DDP puts before every key (when all keys have it)."""
    if state_dict and all(key.startswith('module.') for key in state_dict):
        return {key[len('module.'):]: value for key, value in state_dict.items()}
    return state_dict


