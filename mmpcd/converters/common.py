"""What the converters share: their error, reading the source, finding its state dict."""

from typing import Any, Dict, Mapping, Sequence

import torch

from mmpcd.utils.checkpoint import (
    CorruptCheckpointError,
    UntrustedCheckpointError,
    read_checkpoint,
    strip_prefix,
)

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
    """Read a converter's source through :func:`mmpcd.utils.checkpoint.read_checkpoint`
    (weights-only unless ``trust``; the error names ``--trust``).

    Raises:
        ConversionError: if the file needs full unpickling and ``trust`` is False, or is not
            a readable checkpoint.
    """
    try:
        return read_checkpoint(path, trust=trust, switch='--trust')
    except (UntrustedCheckpointError, CorruptCheckpointError) as error:
        raise ConversionError(str(error)) from None


def extract_state_dict(checkpoint: Any, containers: Sequence[str] = ('state_dict',)) -> StateDict:
    """The state dict of a checkpoint: its first entry named in ``containers`` that is a
    mapping (mmengine's ``state_dict``; PixPro's ``model``), or the checkpoint itself when it
    is a plain mapping of tensors; everything else (``meta``, ``message_hub``,
    ``optimizer``, ...) is left out."""
    container = next(
        (
            name
            for name in containers
            if isinstance(checkpoint, Mapping) and isinstance(checkpoint.get(name), Mapping)
        ),
        None,
    )
    if container is not None:
        state_dict = checkpoint[container]
    elif (
        isinstance(checkpoint, Mapping)
        and checkpoint
        and all(isinstance(value, torch.Tensor) for value in checkpoint.values())
    ):
        state_dict = checkpoint
    else:
        found = (
            list(checkpoint)[:MAX_LISTED]
            if isinstance(checkpoint, Mapping)
            else type(checkpoint).__name__
        )
        raise ConversionError(
            f'no state dict found: expected a mapping of tensors or one '
            f'under {" or ".join(map(repr, containers))}, got {found}'
        )
    not_tensors = [key for key, value in state_dict.items() if not isinstance(value, torch.Tensor)]
    if not_tensors:
        raise ConversionError(f'the state dict has non-tensor entries: {listing(not_tensors)}')
    return dict(state_dict)


def strip_ddp_prefix(state_dict: StateDict) -> StateDict:
    """Remove the ``module.`` that DDP puts before every key (when all keys have it)."""
    if state_dict and all(key.startswith('module.') for key in state_dict):
        return strip_prefix(state_dict, 'module.')
    return state_dict
