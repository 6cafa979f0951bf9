"""Convert an official PixPro checkpoint (zdaxie/PixPro) into an mmpcd/mmdet-loadable one.

CLI: ``python tools/model_converters/pixpro_to_mmpcd.py SRC DST [--depth 50] [--trust]``

The official trainer saves ``{'opt': argparse.Namespace, 'model': DDP state dict, 'optimizer',
'scheduler', 'epoch'}``; the model's keys are ``module.encoder.*`` (the online ResNet),
``module.encoder_k.*`` (momentum), ``module.projector(_k).*``, ``module.value_transform.*`` and,
with the instance branch, ``module.projector_instance(_k).*`` / ``module.predictor.*``.
The online encoder is what transfers (as the official ``convert_pretrain_to_d2.py``): its
keys are torchvision's ResNet names, which mmpretrain's/mmdet's ``ResNet`` share, so
``module.encoder.X`` becomes ``backbone.X``. Everything else is dropped (and counted).

The result ``{'state_dict': {'backbone.*': ...}, 'meta': {...}}`` must match mmpretrain's
``ResNet(depth)`` exactly (keys and shapes; strict), and loads with
``init_cfg=dict(type='Pretrained', checkpoint=DST, prefix='backbone.')`` in mmdet/mmseg/mmpretrain
configs.

Loading: through :func:`mmpcd.utils.checkpoint.read_checkpoint`, weights-only; the official
files pickle the ``argparse`` namespace of the run (``opt``), which only full unpickling reads
and which can run arbitrary code: pass ``--trust`` for a file whose origin you trust.
"""

import argparse
import os.path as osp
import sys
from typing import Any, Dict, List, Optional, Sequence, Tuple

import torch

from .common import (
    ConversionError,
    StateDict,
    extract_state_dict,
    listing,
    load_source,
    strip_ddp_prefix,
)

ENCODER = 'encoder.'
# The other parts of an official PixPro model, dropped by the conversion.
OTHER_PARTS = (
    'encoder_k.',
    'projector.',
    'projector_k.',
    'value_transform.',
    'projector_instance.',
    'projector_instance_k.',
    'predictor.',
)


def convert(state_dict: StateDict) -> Tuple[StateDict, List[str]]:
    """``encoder.X`` -> ``backbone.X`` of a (DDP-prefix-free) official PixPro state dict.

    Returns:
        The backbone state dict and notes on what was dropped.

    Raises:
        ConversionError: if there is no online encoder or a key belongs to no known part.
    """
    unknown = [
        key for key in state_dict if not key.startswith(ENCODER) and not key.startswith(OTHER_PARTS)
    ]
    if unknown or not any(key.startswith(ENCODER) for key in state_dict):
        raise ConversionError(
            'not an official PixPro checkpoint: expected module.encoder.* (online ResNet) '
            f'besides {", ".join(p + "*" for p in OTHER_PARTS)}; '
            + (
                f'unknown keys: {listing(unknown)}'
                if unknown
                else f'no encoder.* key among: {listing(list(state_dict))}'
            )
        )
    backbone = {
        'backbone.' + key[len(ENCODER) :]: value
        for key, value in state_dict.items()
        if key.startswith(ENCODER)
    }
    dropped: Dict[str, int] = {}
    for key in state_dict:
        part = next((p for p in OTHER_PARTS if key.startswith(p)), None)
        if part is not None:
            dropped[part.rstrip('.')] = dropped.get(part.rstrip('.'), 0) + 1
    notes = [f'dropped {count} {part}.* tensors' for part, count in dropped.items()]
    return backbone, notes


def check_resnet(state_dict: StateDict, depth: int) -> None:
    """Require the keys and shapes of mmpretrain's ``ResNet(depth)`` under ``backbone.``.

    Raises:
        ConversionError: listing missing, unexpected and mis-shaped keys.
    """
    from mmpretrain.models import ResNet

    expected = {
        'backbone.' + key: value.shape for key, value in ResNet(depth=depth).state_dict().items()
    }
    missing = sorted(set(expected) - set(state_dict))
    unexpected = sorted(set(state_dict) - set(expected))
    mismatched = sorted(
        f'{key} (checkpoint {tuple(state_dict[key].shape)}, ResNet-{depth} {tuple(expected[key])})'
        for key in set(state_dict) & set(expected)
        if state_dict[key].shape != expected[key]
    )
    problems = [
        f'{what}: {listing(keys)}'
        for what, keys in (
            ('missing in the checkpoint', missing),
            ('not in ResNet', unexpected),
            ('shape mismatch', mismatched),
        )
        if keys
    ]
    if problems:
        raise ConversionError(
            f'the encoder is not a ResNet-{depth} (pass --depth for another '
            'depth):\n  ' + '\n  '.join(problems)
        )


def convert_checkpoint(checkpoint: Any, depth: int = 50) -> Tuple[StateDict, List[str]]:
    """A loaded official checkpoint -> the checked ``backbone.*`` state dict and notes.

    Raises:
        ConversionError: for an unknown layout or an encoder that is not ``ResNet(depth)``.
    """
    state_dict = strip_ddp_prefix(extract_state_dict(checkpoint, ('model', 'state_dict')))
    backbone, notes = convert(state_dict)
    check_resnet(backbone, depth)
    return backbone, notes


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Convert an official PixPro checkpoint.')
    parser.add_argument('src', help='official checkpoint (e.g. pixpro_base_r50_100ep_md5.pth)')
    parser.add_argument('dst', help='where to save the converted checkpoint')
    parser.add_argument(
        '--depth',
        type=int,
        default=50,
        choices=(18, 34, 50, 101, 152),
        help='ResNet depth of the encoder (default 50)',
    )
    parser.add_argument(
        '--trust',
        action='store_true',
        help='allow full unpickling (runs pickled code) for a trusted file that '
        'the weights-only reader refuses (the official files pickle their '
        'argparse options)',
    )
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> None:
    """Convert, check, save and print a summary; exit with ``error: ...`` on failure."""
    args = parse_args(argv)
    try:
        backbone, notes = convert_checkpoint(load_source(args.src, args.trust), args.depth)
    except ConversionError as error:
        sys.exit(f'error: {error}')
    for note in notes:
        print(f'note: {note}')
    meta = dict(converted_from='pixpro-official', backbone_only=True, source=osp.abspath(args.src))
    torch.save(dict(state_dict=backbone, meta=meta), args.dst)
    print(
        f'converted {args.src} -> {args.dst}: ResNet-{args.depth} backbone, '
        f"{len(backbone)} tensors; load with init_cfg=dict(type='Pretrained', "
        f"checkpoint='{args.dst}', prefix='backbone.')"
    )


if __name__ == '__main__':
    main()
