"""Convert a DenseCL checkpoint into mmpcd's layout.

CLI: ``python tools/model_converters/densecl_to_mmpcd.py SRC DST [--config CFG]
[--src-format auto|openselfsup|mmpretrain|torchvision] [--trust]``

mmpcd's ``DenseCL`` names its weights like mmpretrain 1.x's: ``backbone.*`` (ResNet:
``conv1``, ``bn1``, ``layer1.0.conv1``, ...), ``neck.*`` (``mlp.0/2`` global MLP, ``mlp2.0/2``
dense 1x1 convs), the momentum encoder as mmengine's ``ExponentialMovingAverage``
(``encoder_k.module.0.*`` backbone, ``encoder_k.module.1.*`` neck, ``encoder_k.steps``) and the
buffers ``queue``, ``queue_ptr``, ``queue2``, ``queue2_ptr``.

Source formats (detected from the keys; a leading DDP ``module.`` is removed first):

- ``openselfsup``: the official DenseCL / OpenSelfSup and mmselfsup 0.x full checkpoints:
  ``encoder_q.0.*`` -> ``backbone.*``, ``encoder_q.1.*`` -> ``neck.*``, ``encoder_k.0.*`` ->
  ``encoder_k.module.0.*``, ``encoder_k.1.*`` -> ``encoder_k.module.1.*``, queues kept. Their
  ``backbone.*`` (and, in mmselfsup 0.x, ``neck.*``) keys alias ``encoder_q.0/1.*``: they are
  checked to be equal and dropped. ``encoder_k.steps`` does not exist there and is created as
  ``tensor(1, dtype=torch.int64)``: non-zero, so mmengine's EMA keeps the converted momentum
  encoder instead of re-copying the online weights at its first update.
- ``mmpretrain``: mmpretrain 1.x / mmselfsup 1.x DenseCL checkpoints, already in this layout:
  kept as is (only the ``state_dict`` of an mmengine checkpoint).
- ``torchvision``: backbone-only ResNet weights (``conv1.*``, ``bn1.*``, ``layer1.0.*``, ...;
  the official DenseCL release for torchvision/detectron2): prefixed with ``backbone.``,
  ``fc.*`` dropped. The output is backbone-only: use it for transfer with
  ``init_cfg=dict(type='Pretrained', checkpoint=DST, prefix='backbone.')``, not to resume
  pre-training.

Loading: through :func:`mmpcd.utils.checkpoint.read_checkpoint`, weights-only (which also
reads mmengine's full training checkpoints). A file that pickles other Python objects is
refused, since unpickling them can run arbitrary code: pass ``--trust`` for a file whose
origin you trust.

With ``--config`` (a config whose ``model`` is a DenseCL), the model is built and the converted
keys and shapes must match it exactly (for a backbone-only output, its ``backbone.*`` keys).

The output is ``{'state_dict': ..., 'meta': {'converted_from': FORMAT, 'backbone_only': BOOL,
'source': SRC}}``, readable with ``weights_only=True``.
"""

import argparse
import os.path as osp
import re
import sys
from typing import Any, Dict, Iterable, List, Mapping, NamedTuple, Optional, Sequence, Tuple

import torch

from .common import ConversionError, extract_state_dict, listing, load_source, strip_ddp_prefix

FORMATS = ('openselfsup', 'mmpretrain', 'torchvision')
QUEUE_BUFFERS = ('queue', 'queue_ptr', 'queue2', 'queue2_ptr')
EMA_STEPS = 'encoder_k.steps'
# The groups of a full mmpcd/mmpretrain DenseCL state dict, besides the buffers above.
FULL_PREFIXES = ('backbone.', 'neck.', 'encoder_k.module.0.', 'encoder_k.module.1.')
OPENSELFSUP_PREFIXES = {
    'encoder_q.0.': 'backbone.',
    'encoder_q.1.': 'neck.',
    'encoder_k.0.': 'encoder_k.module.0.',
    'encoder_k.1.': 'encoder_k.module.1.',
}
# OpenSelfSup/mmselfsup 0.x also register encoder_q's parts as ``backbone`` and ``neck``.
OPENSELFSUP_ALIASES = {'backbone.': 'encoder_q.0.', 'neck.': 'encoder_q.1.'}
# The parts of a DenseCL state dict, by key prefix, to tell which one a model lacks ...
PARTS = {
    'backbone.': 'backbone',
    'neck.': 'neck',
    'encoder_k.': 'momentum encoder',
    'queue': 'queues',
}
# ... and what a difference in the keys of a part both have suggests (the last: all others).
HINTS = {
    (
        'backbone.',
        'encoder_k.module.0.',
    ): 'the backbone differs (e.g. ResNet depth: 18/34 have BasicBlocks, 50/101/152 Bottlenecks '
    'with conv3, and the blocks per stage differ)',
    ('neck.', 'encoder_k.module.1.'): 'the neck widths differ (DenseCLNeck in/hid/out_channels)',
    ('queue',): 'queue_len or feat_dim differ',
    ('',): 'keys outside the backbone, neck and queues of DenseCL differ',
}
TORCHVISION_BACKBONE = re.compile(r'(conv1|bn1|layer[1-4]\.\d+)\.')
TORCHVISION_CLASSIFIER = 'fc.'
StateDict = Dict[str, torch.Tensor]


class Converted(NamedTuple):
    """The result of :func:`convert`."""

    state_dict: StateDict
    backbone_only: bool
    notes: List[str]  # what the conversion created or dropped, for the user


def detect_format(state_dict: StateDict) -> str:
    """Name the source format of a (DDP-prefix-free) state dict, one of :data:`FORMATS`.

    Raises:
        ConversionError: if the keys fit none of them; the message shows the first keys.
    """
    keys = list(state_dict)
    if any(key.startswith('encoder_q.') for key in keys):
        return 'openselfsup'
    if any(key.startswith('backbone.') for key in keys) and any(
        key.startswith('encoder_k.module.') for key in keys
    ):
        return 'mmpretrain'
    if 'conv1.weight' in state_dict and all(
        TORCHVISION_BACKBONE.match(key) or key.startswith(TORCHVISION_CLASSIFIER) for key in keys
    ):
        return 'torchvision'
    raise ConversionError(
        'unrecognised checkpoint: expected a DenseCL checkpoint from OpenSelfSup / mmselfsup '
        '0.x (encoder_q.*, encoder_k.*, queues), mmpretrain / mmselfsup 1.x (backbone.*, '
        'neck.*, encoder_k.module.*, queues) or torchvision ResNet weights (conv1.*, bn1.*, '
        f'layer1-4.*, fc.*); the first keys are: {listing(keys)}'
    )


def _rename(key: str, prefixes: Mapping[str, str]) -> Optional[str]:
    """``key`` with its first matching prefix replaced, or None if none matches."""
    for old, new in prefixes.items():
        if key.startswith(old):
            return new + key[len(old) :]
    return None


def _check_full_layout(state_dict: StateDict, fmt: str) -> None:
    """Refuse a converted full checkpoint that lacks a part of DenseCL (e.g. a MoCo one)."""
    missing = [name for name in QUEUE_BUFFERS if name not in state_dict]
    missing += [
        prefix + '*'
        for prefix in FULL_PREFIXES
        if not any(key.startswith(prefix) for key in state_dict)
    ]
    if missing:
        raise ConversionError(
            f'not a DenseCL checkpoint ({fmt} layout): it lacks {listing(missing)}'
        )


def _add_ema_steps(state_dict: StateDict, notes: List[str]) -> None:
    """Create ``encoder_k.steps`` if it is absent, as 1: the source's momentum encoder is a
    trained one, and mmengine's EMA would overwrite it with the online weights at its first
    update if ``steps`` were 0."""
    if EMA_STEPS in state_dict:
        return
    state_dict[EMA_STEPS] = torch.tensor(1, dtype=torch.long)
    notes.append(
        f'{EMA_STEPS} is not in the source: created as tensor(1, dtype=torch.int64) so '
        "that resuming keeps the converted momentum encoder (mmengine's EMA copies the "
        'online weights into encoder_k at its first update when steps == 0)'
    )


def _is_alias(state_dict: StateDict, key: str) -> bool:
    """Whether ``key`` (``backbone.*``/``neck.*``) equals its ``encoder_q.0/1.*`` source."""
    source = _rename(key, OPENSELFSUP_ALIASES)
    return source in state_dict and torch.equal(state_dict[key], state_dict[source])


def _convert_openselfsup(state_dict: StateDict) -> Converted:
    """``encoder_q/encoder_k.{0,1}.*`` -> mmpcd names; the aliases must equal their source."""
    out: StateDict = {}
    notes: List[str] = []
    aliases, unknown = [], []
    for key, value in state_dict.items():
        new_key = key if key in QUEUE_BUFFERS else _rename(key, OPENSELFSUP_PREFIXES)
        if new_key is not None:
            out[new_key] = value
        elif _rename(key, OPENSELFSUP_ALIASES) is not None:
            aliases.append(key)
        else:
            unknown.append(key)
    if unknown:
        raise ConversionError(f'keys outside the openselfsup DenseCL layout: {listing(unknown)}')
    inconsistent = [key for key in aliases if not _is_alias(state_dict, key)]
    if inconsistent:
        raise ConversionError(
            'these keys should alias encoder_q.0/1.* but their counterpart is '
            f'missing or differs: {listing(inconsistent)}'
        )
    if aliases:
        notes.append(f'dropped {len(aliases)} backbone.*/neck.* keys that alias encoder_q.*')
    _check_full_layout(out, 'openselfsup')
    _add_ema_steps(out, notes)
    return Converted(out, False, notes)


def _convert_mmpretrain(state_dict: StateDict) -> Converted:
    """mmpretrain/mmselfsup 1.x names are mmpcd's: check them, add ``steps`` if absent."""
    unknown = [
        key
        for key in state_dict
        if key not in QUEUE_BUFFERS and key != EMA_STEPS and not key.startswith(FULL_PREFIXES)
    ]
    if unknown:
        raise ConversionError(f'keys outside the mmpretrain DenseCL layout: {listing(unknown)}')
    out = dict(state_dict)
    notes: List[str] = []
    _check_full_layout(out, 'mmpretrain')
    _add_ema_steps(out, notes)
    return Converted(out, False, notes)


def _convert_torchvision(state_dict: StateDict) -> Converted:
    """torchvision ResNet -> ``backbone.*`` (same names in mmpretrain's ResNet), no ``fc``."""
    unknown = [
        key
        for key in state_dict
        if not TORCHVISION_BACKBONE.match(key) and not key.startswith(TORCHVISION_CLASSIFIER)
    ]
    if unknown or 'conv1.weight' not in state_dict:
        raise ConversionError(
            'not torchvision ResNet weights: '
            + (f'unexpected keys {listing(unknown)}' if unknown else 'conv1.weight is missing')
        )
    out = {
        'backbone.' + key: value
        for key, value in state_dict.items()
        if TORCHVISION_BACKBONE.match(key)
    }
    dropped = len(state_dict) - len(out)
    notes = [f'dropped {dropped} fc.* classifier tensors'] if dropped else []
    return Converted(out, True, notes)


def convert(state_dict: StateDict, fmt: str) -> Converted:
    """Rename a (DDP-prefix-free) state dict of format ``fmt`` into mmpcd's DenseCL layout.

    Raises:
        ConversionError: if the keys do not fit ``fmt``.
    """
    converters = {
        'openselfsup': _convert_openselfsup,
        'mmpretrain': _convert_mmpretrain,
        'torchvision': _convert_torchvision,
    }
    if fmt not in converters:
        raise ConversionError(f'unknown source format {fmt!r}; choose one of {FORMATS}')
    return converters[fmt](state_dict)


def convert_checkpoint(checkpoint: Any) -> Tuple[StateDict, List[str]]:
    """A loaded DenseCL checkpoint of any known format -> mmpcd's state dict and notes."""
    state_dict = strip_ddp_prefix(extract_state_dict(checkpoint))
    fmt = detect_format(state_dict)
    converted = convert(state_dict, fmt)
    return converted.state_dict, [f'converted from the {fmt} layout', *converted.notes]


def expected_shapes(config: str) -> Dict[str, torch.Size]:
    """Key -> shape of the state dict of the model that ``config`` builds in mmpcd."""
    from mmengine.config import Config

    from mmpcd.registry import MODELS
    from mmpcd.utils import register_all_modules

    register_all_modules()
    model = MODELS.build(Config.fromfile(config).model)
    return {key: value.shape for key, value in model.state_dict().items()}


def _part(key: str) -> Optional[str]:
    """The part of DenseCL (see :data:`PARTS`) that ``key`` belongs to, or None."""
    return next((name for prefix, name in PARTS.items() if key.startswith(prefix)), None)


def _likely_cause(
    checkpoint_keys: Iterable[str], model_keys: Iterable[str], offending: Iterable[str]
) -> str:
    """A guess at why the keys of a checkpoint and of a model differ."""
    in_checkpoint = {_part(key) for key in checkpoint_keys} - {None}
    in_model = {_part(key) for key in model_keys} - {None}
    causes = []
    if in_checkpoint - in_model:
        causes.append(
            f"the config's model has no {', '.join(sorted(in_checkpoint - in_model))}"
            ': is it a DenseCL?'
        )
    if in_model - in_checkpoint:
        causes.append(
            f"the checkpoint has no {', '.join(sorted(in_model - in_checkpoint))}: "
            'is it a DenseCL checkpoint?'
        )
    # Keys of a part only one side has are explained above.
    compared = [key for key in offending if _part(key) in (in_checkpoint & in_model) | {None}]
    hints = {
        next(hint for prefixes, hint in HINTS.items() if key.startswith(prefixes))
        for key in compared
    }
    causes += [hint for hint in HINTS.values() if hint in hints]
    return '; '.join(causes)


def check_against(
    state_dict: StateDict, expected: Mapping[str, torch.Size], backbone_only: bool
) -> None:
    """Require the keys and shapes of ``state_dict`` to be those of the model, ``expected``
    (only its ``backbone.*`` part for a backbone-only checkpoint).

    Raises:
        ConversionError: listing up to ``MAX_LISTED`` keys of each kind, and a likely cause.
    """
    if backbone_only:
        expected = {key: shape for key, shape in expected.items() if key.startswith('backbone.')}
    missing = sorted(set(expected) - set(state_dict))
    unexpected = sorted(set(state_dict) - set(expected))
    mismatched = sorted(
        key for key in set(state_dict) & set(expected) if state_dict[key].shape != expected[key]
    )
    if not (missing or unexpected or mismatched):
        return
    problems = []
    if missing:
        problems.append(f'missing in the checkpoint: {listing(missing)}')
    if unexpected:
        problems.append(f'not in the model: {listing(unexpected)}')
    if mismatched:
        shapes = [
            f'{key} (checkpoint {tuple(state_dict[key].shape)}, model {tuple(expected[key])})'
            for key in mismatched
        ]
        problems.append(f'shape mismatch: {listing(shapes)}')
    cause = _likely_cause(state_dict, expected, missing + unexpected + mismatched)
    raise ConversionError(
        'the converted checkpoint does not fit the config\'s model:\n  '
        + '\n  '.join(problems)
        + f'\nlikely cause: {cause}'
    )


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """The command line (``argv``, or ``sys.argv[1:]`` if None)."""
    parser = argparse.ArgumentParser(description='Convert a DenseCL checkpoint to mmpcd.')
    parser.add_argument('src', help='the DenseCL checkpoint to convert')
    parser.add_argument('dst', help='where to save the converted checkpoint')
    parser.add_argument('--config', help='check the result against the model of this config')
    parser.add_argument(
        '--src-format',
        choices=('auto',) + FORMATS,
        default='auto',
        help='the source format; auto (default) detects it from the keys',
    )
    parser.add_argument(
        '--trust',
        action='store_true',
        help='allow full unpickling (runs pickled code) for a trusted file that '
        'the weights-only reader refuses',
    )
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> None:
    """Convert, check, save and print a one-line summary; exit with ``error: ...`` on
    a :class:`ConversionError`."""
    args = parse_args(argv)
    try:
        state_dict = strip_ddp_prefix(extract_state_dict(load_source(args.src, args.trust)))
        fmt = detect_format(state_dict) if args.src_format == 'auto' else args.src_format
        converted = convert(state_dict, fmt)
        if args.config:
            check_against(
                converted.state_dict, expected_shapes(args.config), converted.backbone_only
            )
    except ConversionError as error:
        sys.exit(f'error: {error}')
    for note in converted.notes:
        print(f'note: {note}')
    meta = dict(
        converted_from=fmt, backbone_only=converted.backbone_only, source=osp.abspath(args.src)
    )
    torch.save(dict(state_dict=converted.state_dict, meta=meta), args.dst)
    kind = (
        (
            "backbone-only (load with init_cfg=dict(type='Pretrained', prefix='backbone.'); "
            'not for resuming pre-training)'
        )
        if converted.backbone_only
        else 'full DenseCL'
    )
    checked = f', matches {args.config}' if args.config else ''
    print(
        f'converted {args.src} -> {args.dst}: format {fmt}, '
        f'{len(converted.state_dict)} tensors, {kind}{checked}'
    )


if __name__ == '__main__':
    main()
