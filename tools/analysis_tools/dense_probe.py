"""Dense linear probe of a pre-trained backbone on the embedded synthetic data.

``python tools/analysis_tools/dense_probe.py CONFIG [CHECKPOINT] [options]``: builds CONFIG's
``model.backbone``, loads ``backbone.*`` from CHECKPOINT (without one: the config's own random
initialisation), freezes it, trains a 1x1-conv segmentation head on the synthetic train split
and prints the val mIoU. ``--adapt-bn`` first re-estimates the BN statistics on the train
images. See ``mmpcd.evaluation.dense_probe``.
"""

import argparse
import json

import torch

from mmpcd.engine.runners import add_trust_arg, check_checkpoint_exists
from mmpcd.evaluation import DenseProbeSettings, run_dense_probe
from mmpcd.utils.checkpoint import CorruptCheckpointError, UntrustedCheckpointError


def parse_args() -> argparse.Namespace:
    defaults = DenseProbeSettings()
    parser = argparse.ArgumentParser(description='Dense linear probe on synthetic data')
    parser.add_argument('config', help='pre-training config whose model.backbone is probed')
    parser.add_argument('checkpoint', nargs='?', help='checkpoint (omit for random init)')
    parser.add_argument(
        '--seed',
        type=int,
        default=defaults.seed,
        help='seeds the data splits, the random init and the head',
    )
    parser.add_argument('--iters', type=int, default=defaults.iters)
    parser.add_argument('--num-train', type=int, default=defaults.num_train)
    parser.add_argument('--num-val', type=int, default=defaults.num_val)
    parser.add_argument('--img-size', type=int, default=defaults.img_size)
    parser.add_argument(
        '--stages',
        type=int,
        nargs='+',
        default=list(defaults.stages),
        help='backbone stages concatenated (0-based)',
    )
    parser.add_argument(
        '--data-seed', type=int, help='seeds the data splits only (default: --seed)'
    )
    parser.add_argument(
        '--adapt-bn',
        action='store_true',
        help='re-estimate the BN statistics on the train images first (with no '
        'checkpoint: the BN-adapted random baseline)',
    )
    parser.add_argument('--threads', type=int, default=None, help='torch CPU threads')
    parser.add_argument('--out', help='also write the result as json here')
    add_trust_arg(parser, 'CHECKPOINT')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    if args.checkpoint is not None:
        check_checkpoint_exists(args.checkpoint, 'checkpoint')
    if args.threads:
        torch.set_num_threads(args.threads)
    settings = DenseProbeSettings(
        num_train=args.num_train,
        num_val=args.num_val,
        img_size=args.img_size,
        stages=tuple(args.stages),
        iters=args.iters,
        seed=args.seed,
        adapt_bn=args.adapt_bn,
        data_seed=args.seed if args.data_seed is None else args.data_seed,
    )
    try:
        result = run_dense_probe(args.config, args.checkpoint, settings, trust=args.trust)
    except (UntrustedCheckpointError, CorruptCheckpointError) as error:
        raise SystemExit(f'error: {error}') from None
    name = args.checkpoint or 'random init'
    if args.adapt_bn:
        name += ' (BN statistics re-estimated)'
    print(
        f'dense probe of {name}: mIoU {100 * result.miou:.2f}  '
        f'pixel acc {100 * result.pixel_acc:.2f}'
    )
    print('  ' + '  '.join(f'{k} {100 * v:.1f}' for k, v in result.class_iou.items()))
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(
                dict(
                    checkpoint=args.checkpoint,
                    miou=result.miou,
                    pixel_acc=result.pixel_acc,
                    class_iou=result.class_iou,
                    settings=vars(settings),
                ),
                f,
                indent=2,
            )


if __name__ == '__main__':
    main()
