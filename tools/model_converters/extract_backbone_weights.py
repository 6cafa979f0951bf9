"""Keep only the online/student backbone of a pre-training checkpoint.

``python tools/model_converters/extract_backbone_weights.py SRC DST [--keep-neck]``

DenseCL/PixPro/PCD checkpoints hold the online (student) backbone under ``backbone.*`` next to
momentum encoders (``encoder_k.*``, ``target_net.*``), a teacher (``teacher.*``), queues and
necks (projectors, PPM, PCD's MHSA + projector + predictor). DST keeps ``backbone.*`` (and
``neck.*`` with ``--keep-neck``, e.g. a PixPro-FPN's FPN) *with* the prefix, so the benchmark
configs' ``init_cfg=dict(type='Pretrained', _scope_='mmpcd', prefix='backbone.')`` reads the
full and the extracted checkpoint alike; ``--strip-prefix`` writes bare backbone keys instead
(for ``prefix=None``). ``--layout mmdet`` renames a deep stem (``ResNetV1d``, PixPro's
``resnet50_d``) to the keys of mmdet's/mmseg's ``ResNetV1d``; ``--fcos`` keeps a PixPro FPN +
FCOS head pre-training's backbone, FPN and head towers in mmdet FCOS's layout (``backbone.*``,
``neck.*``, ``bbox_head.{cls,reg}_convs.*``; see ``mmpcd/converters/transfer_layouts.py``).
The file holds tensors only (``torch.load(..., weights_only=True)``).
SRC is read weights-only (``tools/train.py`` output is); ``--trust`` allows full unpickling.
"""

import argparse
from collections import Counter
from typing import Dict, Tuple

import torch

from mmpcd.converters.transfer_layouts import deep_stem_to_mmdet, fpn_head_towers_to_mmdet
from mmpcd.engine.runners import add_trust_arg, check_checkpoint_exists
from mmpcd.models.utils import prefixed_state_dict
from mmpcd.utils.checkpoint import CorruptCheckpointError, UntrustedCheckpointError, read_checkpoint

StateDict = Dict[str, torch.Tensor]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('src', help='pre-training checkpoint (tools/train.py output)')
    parser.add_argument('dst', help='where to write the backbone weights')
    parser.add_argument('--keep-neck', action='store_true', help='keep neck.* too')
    parser.add_argument(
        '--strip-prefix',
        action='store_true',
        help="write the backbone's keys without 'backbone.' (not with --keep-neck)",
    )
    parser.add_argument(
        '--layout',
        choices=('mmpretrain', 'mmdet'),
        default='mmpretrain',
        help='key layout of the backbone: mmpretrain (default) or mmdet/mmseg (differs only '
        'in a deep stem)',
    )
    parser.add_argument(
        '--fcos',
        action='store_true',
        help='keep the FPN and head towers of a PixPro FCOS head pre-training, in mmdet '
        "FCOS's layout",
    )
    add_trust_arg(parser, 'SRC')
    args = parser.parse_args()
    if args.fcos and (args.strip_prefix or args.keep_neck):
        parser.error(
            '--fcos writes the detector layout; it excludes --keep-neck and --strip-prefix'
        )
    if args.strip_prefix and args.keep_neck:
        parser.error('--strip-prefix would mix backbone and neck keys; use one of them')
    return args


def extract(state: StateDict, keep_neck: bool = False) -> Tuple[StateDict, Counter]:
    """The ``backbone.*`` (and ``neck.*``) tensors of ``state``, and a count of the dropped
    ones by top-level name.

    Raises:
        ValueError: if ``state`` has no ``backbone.*`` key.
    """
    kept_prefixes = ('backbone.', 'neck.') if keep_neck else ('backbone.',)
    kept = {k: v for k, v in state.items() if k.startswith(kept_prefixes)}
    dropped = Counter(k.split('.')[0] for k in state if not k.startswith(kept_prefixes))
    if not any(k.startswith('backbone.') for k in kept):
        tops = ', '.join(sorted({k.split('.')[0] for k in state}))
        raise ValueError(
            f'no backbone.* key in the checkpoint (top-level names: {tops}); '
            'is it a pre-training checkpoint of mmpcd? Converters for the '
            'official DenseCL/PixPro weights are in tools/model_converters/.'
        )
    return kept, dropped


def main() -> None:
    args = parse_args()
    check_checkpoint_exists(args.src, 'src')
    try:
        checkpoint = read_checkpoint(args.src, trust=args.trust, switch='--trust')
    except (UntrustedCheckpointError, CorruptCheckpointError) as error:
        raise SystemExit(f'error: {error}') from None
    state = prefixed_state_dict(checkpoint, prefix=None)
    try:
        kept, dropped = extract(state, args.keep_neck or args.fcos)
        if args.fcos:
            kept = fpn_head_towers_to_mmdet(kept)
    except ValueError as error:
        raise SystemExit(f'{args.src}: {error}') from None
    if args.layout == 'mmdet':
        kept = deep_stem_to_mmdet(kept)
    if args.strip_prefix:
        kept = {k[len('backbone.') :]: v for k, v in kept.items()}
    torch.save({'state_dict': kept}, args.dst)
    summary = ', '.join(f'{name} ({n})' for name, n in sorted(dropped.items()))
    print(f'wrote {len(kept)} tensors to {args.dst}; dropped: {summary or "nothing"}')


if __name__ == '__main__':
    main()
