"""Loading a pre-trained backbone out of a full pre-training checkpoint, and saying how it went.

mmengine's ``Pretrained`` init has two gaps for transfer benchmarks:

- it loads with ``strict=False`` and only warns about keys that did not fit, so a checkpoint
  whose keys miss the model (``ResNetV1c`` deep stem vs an SSL ``ResNet``, a wrong
  ``prefix``) trains from scratch without anyone noticing;
- it reads with a bare ``torch.load``, whose weights-only default on torch >= 2.6 refuses a
  checkpoint written by ``tools/train.py`` (it pickles the message hub), and which a
  ``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD`` set for another program turns into full unpickling.

:class:`CheckedPretrainedInit` is registered as ``Pretrained`` in mmpcd's scope:
``init_cfg=dict(type='Pretrained', _scope_='mmpcd', checkpoint=..., prefix='backbone.')``
loads the same keys as mmengine's ``Pretrained``, reads the file through
:func:`mmpcd.utils.checkpoint.read_checkpoint` (weights-only, which reads ``tools/train.py``
output; ``trust=True`` in the init_cfg for files that pickle more), logs how many of the
module's tensors were loaded, and raises when none were. The name must stay ``Pretrained``:
``BaseModule`` applies an init_cfg of that type *after* its children's own ``init_weights``
(ConvModule re-initialises its conv there), any other name would be overwritten. ``_scope_``
picks this class from any default scope (mmdet, mmseg, mmpretrain); in mmpcd's own scope it
replaces mmengine's.
"""

import os.path as osp
from dataclasses import dataclass, field
from typing import Dict, List, Optional

import torch
from mmengine.logging import print_log
from torch import nn

from mmpcd.registry import WEIGHT_INITIALIZERS
from mmpcd.utils.checkpoint import read_checkpoint, state_dict_of, strip_prefix

StateDict = Dict[str, torch.Tensor]
TRUST_SWITCH = "trust=True in the init_cfg (dict(type='Pretrained', ..., trust=True))"


class PretrainedLoadError(RuntimeError):
    """A pre-trained checkpoint could not initialise the module it was meant for."""


def prefixed_state_dict(checkpoint: dict, prefix: Optional[str]) -> StateDict:
    """The tensors of ``checkpoint`` (its ``state_dict`` entry, or itself) whose key starts with
    ``prefix``, with the prefix removed; all of them when ``prefix`` is empty."""
    state = strip_prefix(state_dict_of(checkpoint, ('state_dict',)))
    if not prefix:
        return dict(state)
    return {k[len(prefix) :]: v for k, v in state.items() if k.startswith(prefix)}


@dataclass
class LoadReport:
    """Which of a module's tensors a prefixed state dict initialised.

    ``loaded``: names found with the right shape (copied); ``wrong_shape``: found with another
    shape (skipped); ``missing``: module tensors absent from the checkpoint; ``unused``:
    checkpoint tensors the module has no place for.
    """

    loaded: List[str] = field(default_factory=list)
    wrong_shape: List[str] = field(default_factory=list)
    missing: List[str] = field(default_factory=list)
    unused: List[str] = field(default_factory=list)

    def summary(self, target: str, source: str) -> str:
        total = len(self.loaded) + len(self.wrong_shape) + len(self.missing)
        text = f'loaded {len(self.loaded)}/{total} tensors of {target} from {source}'
        if self.missing:
            text += f'; missing (left at init): {_short(self.missing)}'
        if self.wrong_shape:
            text += f'; wrong shape (skipped): {_short(self.wrong_shape)}'
        if self.unused:
            text += f'; {len(self.unused)} checkpoint tensors unused'
        return text


def _short(names: List[str], shown: int = 6) -> str:
    more = len(names) - shown
    return ', '.join(names[:shown]) + (f' ... ({more} more)' if more > 0 else '')


def load_state_into(module: nn.Module, state: StateDict) -> LoadReport:
    """Copy the tensors of ``state`` that fit ``module`` (same name and shape) into it."""
    own = module.state_dict()
    report = LoadReport(unused=sorted(set(state) - set(own)))
    fitting = {}
    for name, tensor in own.items():
        if name not in state:
            report.missing.append(name)
        elif state[name].shape != tensor.shape:
            report.wrong_shape.append(name)
        else:
            fitting[name] = state[name]
            report.loaded.append(name)
    module.load_state_dict(fitting, strict=False)
    return report


def load_pretrained(
    module: nn.Module,
    checkpoint: str,
    prefix: Optional[str] = 'backbone.',
    target: Optional[str] = None,
    map_location: str = 'cpu',
    trust: bool = False,
    switch: str = TRUST_SWITCH,
) -> LoadReport:
    """Initialise ``module`` from the ``prefix`` part of a checkpoint, log the counts and fail
    when nothing was loaded.

    Args:
        trust: Read the file with full unpickling (see
            :func:`mmpcd.utils.checkpoint.read_checkpoint`; ``switch`` is quoted by its
            error).

    Raises:
        FileNotFoundError: if ``checkpoint`` is a local path that does not exist.
        PretrainedLoadError: if no tensor of ``checkpoint`` fits ``module``.
    """
    target = target or type(module).__name__
    if '://' not in checkpoint and not osp.isfile(checkpoint):
        raise FileNotFoundError(
            f'pre-trained checkpoint {checkpoint} does not exist: pass the .pth file written by '
            'tools/train.py (or by tools/model_converters/extract_backbone_weights.py).'
        )
    loaded = read_checkpoint(checkpoint, map_location, trust=trust, switch=switch)
    state = prefixed_state_dict(loaded, prefix)
    source = f'{checkpoint} (prefix {prefix!r})'
    if not state:
        raise PretrainedLoadError(
            f'{checkpoint} has no key starting with {prefix!r}, so nothing can initialise '
            f'{target}. Pre-training checkpoints keep the online/student backbone under '
            "'backbone.' (and PixPro-FPN the FPN under 'neck.'); fix init_cfg.prefix."
        )
    report = load_state_into(module, state)
    if not report.loaded:
        raise PretrainedLoadError(
            f'none of the {len(state)} tensors under {prefix!r} in {checkpoint} fits {target} '
            f'(its keys look like {_short(sorted(module.state_dict()), 3)}, the checkpoint\'s '
            f'like {_short(sorted(state), 3)}). Typical causes: a ResNetV1c deep stem or another '
            'depth than the pre-trained ResNet, or a wrong prefix.'
        )
    print_log(f'[mmpcd Pretrained] {report.summary(target, source)}', logger='current')
    return report


@WEIGHT_INITIALIZERS.register_module(name='Pretrained')
class CheckedPretrainedInit:
    """mmpcd's ``Pretrained`` init: loads like mmengine's, counts and checks.

    Args:
        checkpoint: Path or URL of a checkpoint (a full pre-training one is fine).
        prefix: Keep only the keys starting with it, stripped (``'backbone.'`` takes the
            online/student backbone; ``'neck.'`` a PixPro-FPN checkpoint's FPN).
        map_location: Where to load the tensors.
        trust: Read the file with full unpickling (only for a file you trust that the
            weights-only reader refuses).
    """

    def __init__(
        self,
        *,
        checkpoint: Optional[str],
        prefix: Optional[str] = 'backbone.',
        map_location: str = 'cpu',
        trust: bool = False,
    ) -> None:
        if not checkpoint:
            raise PretrainedLoadError(
                'the Pretrained init_cfg has no checkpoint: pass the pre-training checkpoint, e.g. '
                'tools/benchmarks/mmdetection/dist_train_fpn.sh CONFIG CHECKPOINT GPUS, or set '
                'the init_cfg to None to train from scratch.'
            )
        self.checkpoint = checkpoint
        self.prefix = prefix
        self.map_location = map_location
        self.trust = trust

    def __call__(self, module: nn.Module) -> None:
        load_pretrained(
            module, self.checkpoint, self.prefix, map_location=self.map_location, trust=self.trust
        )

    def _get_init_info(self) -> str:
        return f'{self.__class__.__name__}: load from {self.checkpoint} (prefix {self.prefix!r})'
