"""Reading and writing receptive-token checkpoints.

A token file holds ``state_dict`` with the keys ``mask_modules.{level}.mask_token`` (T, C)
and, with the weighting branch, ``mask_modules.{level}.prob.{0,2}.{weight,bias}`` (the
official layout), plus ``meta['maskd']`` describing them (``num_levels``, ``channels``,
``num_tokens``, ``weight_mask``, ``teacher_ckpt``). It contains plain tensors and builtins
only, so ``torch.load(weights_only=True)`` reads it.

Official checkpoints (mmcv 1.x, possibly with the whole teacher beside the tokens) are
read by the same loader: only keys containing ``mask_modules.`` are kept and everything
before that substring is dropped.
"""

import re
from typing import Dict, List, Optional

import torch
from torch import Tensor

from mmpcd.utils.checkpoint import read_checkpoint

from .mask_module import MaskModule

PREFIX = 'mask_modules.'
_LEVEL_KEY = re.compile(r'^mask_modules\.(\d+)\.(.+)$')


def extract_token_state(state_dict: Dict[str, Tensor]) -> Dict[str, Tensor]:
    """The ``mask_modules.*`` entries of a state dict, with any prefix before them removed
    (``distiller.losses.x.mask_modules.0.mask_token`` -> ``mask_modules.0.mask_token``)."""
    tokens = {}
    for key, value in state_dict.items():
        pos = key.find(PREFIX)
        if pos >= 0:
            tokens[key[pos:]] = value
    return tokens


def describe_tokens(tokens: Dict[str, Tensor]) -> Dict[str, object]:
    """Level count, channels and token count per level, and whether the weighting branch is
    present, from ``mask_modules.*`` entries; raises if they are not a consistent layout."""
    levels: Dict[int, Dict[str, Tensor]] = {}
    for key, value in tokens.items():
        match = _LEVEL_KEY.match(key)
        if match is None:
            raise ValueError(
                f'Unexpected token key {key!r}: expected mask_modules.<level>.<parameter>.'
            )
        levels.setdefault(int(match.group(1)), {})[match.group(2)] = value
    if not levels or sorted(levels) != list(range(len(levels))):
        raise ValueError(f'Token levels must be numbered 0..L-1; found {sorted(levels)}.')
    channels, num_tokens, weighted = [], [], set()
    for level in range(len(levels)):
        params = levels[level]
        if 'mask_token' not in params or params['mask_token'].dim() != 2:
            raise ValueError(f'Token level {level} has no 2-D mask_token (T, C).')
        t, c = params['mask_token'].shape
        channels.append(int(c))
        num_tokens.append(int(t))
        weighted.add('prob.0.weight' in params)
    if len(weighted) != 1:
        raise ValueError('Some token levels have the weighting branch (prob.*) and some do not.')
    return dict(
        num_levels=len(levels), channels=channels, num_tokens=num_tokens, weight_mask=weighted.pop()
    )


def build_mask_modules(tokens: Dict[str, Tensor]) -> torch.nn.ModuleList:
    """A ``ModuleList`` of :class:`MaskModule` loaded strictly from ``mask_modules.*``."""
    info = describe_tokens(tokens)
    modules = torch.nn.ModuleList(
        MaskModule(c, t, info['weight_mask']) for c, t in zip(info['channels'], info['num_tokens'])
    )
    modules.load_state_dict({k[len(PREFIX) :]: v for k, v in tokens.items()}, strict=True)
    return modules


def load_tokens(
    filename: str, trust: bool = False, switch: str = 'tokens_trust=True'
) -> Dict[str, Tensor]:
    """The ``mask_modules.*`` entries of a token file or an official token checkpoint
    (local path or URL), read weights-only unless ``trust`` (``switch`` names it in the
    error)."""
    checkpoint = read_checkpoint(filename, trust=trust, switch=switch)
    state_dict = checkpoint.get('state_dict', checkpoint)
    tokens = extract_token_state(state_dict)
    if not tokens:
        raise ValueError(
            f'{filename} holds no receptive tokens (no key contains '
            f'{PREFIX!r}); expected a stage-1 token file or an official MasKD '
            f'token checkpoint.'
        )
    return tokens


def check_tokens(
    tokens: Dict[str, Tensor],
    channels: List[int],
    num_tokens: Optional[int] = None,
    weight_mask: Optional[bool] = None,
) -> Dict[str, object]:
    """Check that tokens fit the expected levels; returns :func:`describe_tokens`."""
    info = describe_tokens(tokens)
    if info['channels'] != list(channels):
        raise ValueError(
            f'The tokens have {info["num_levels"]} level(s) with channels '
            f'{info["channels"]}, but {len(channels)} level(s) with channels '
            f'{list(channels)} are expected: were they learned on this teacher?'
        )
    if num_tokens is not None and set(info['num_tokens']) != {num_tokens}:
        raise ValueError(
            f'Expected {num_tokens} tokens per level; the file has {info["num_tokens"]}.'
        )
    if weight_mask is not None and info['weight_mask'] != weight_mask:
        raise ValueError(
            f'weight_mask={weight_mask} but the tokens '
            f'{"have" if info["weight_mask"] else "lack"} the weighting branch '
            f'(prob.*); set weight_mask={info["weight_mask"]}.'
        )
    return info


def save_tokens(filename: str, mask_modules: torch.nn.ModuleList, **meta: object) -> None:
    """Write ``mask_modules`` as a weights-only token file with ``meta['maskd']``."""
    state = {PREFIX + k: v.detach().cpu().clone() for k, v in mask_modules.state_dict().items()}
    info = describe_tokens(state)
    info.update(meta)
    torch.save(dict(state_dict=state, meta=dict(maskd=info)), filename)
