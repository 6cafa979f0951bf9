"""DenseCL's feature matches and PixPro's positive pairs between two random views of an
image, drawn on the views.

Example::

    python tools/analysis_tools/visualize_correspondence.py \
        configs/densecl/densecl_resnet18_1xb16-coslr-2e_demo.py \
        --image data/demo/images/astronaut_c0.jpg --out correspondence.png
"""

import argparse
from typing import List, Optional

import mmcv
from mmengine.config import DictAction

from mmpcd.visualization import (
    CheckpointMismatch,
    build_feature_model,
    draw_correspondence,
    sample_views,
    to_tensor,
)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='algorithm config (DenseCL, PixPro, PCD, ...)')
    parser.add_argument('checkpoint', nargs='?', help='its checkpoint; none = initialisation')
    parser.add_argument('--image', required=True, help='the photo to crop the views from')
    parser.add_argument('--out', required=True, help='PNG to write')
    parser.add_argument(
        '--layer',
        default='backbone',
        help='features to match (DenseCL matches backbone = last stage)',
    )
    parser.add_argument('--size', type=int, default=224, help='side of the views in pixels')
    parser.add_argument(
        '--scale-range',
        type=float,
        nargs=2,
        default=(0.2, 1.0),
        help='crop area range, as a fraction of the image',
    )
    parser.add_argument(
        '--pos-ratio', type=float, default=0.7, help="PixPro's positive threshold in cell diagonals"
    )
    parser.add_argument('--seed', type=int, default=0, help='seed of the crops and flips')
    parser.add_argument('--panel', type=int, default=256, help='panel side in pixels')
    parser.add_argument(
        '--trust',
        action='store_true',
        help='allow checkpoints with pickled objects (tools/train.py output)',
    )
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, e.g. model.backbone.zero_init_residual=True',
    )
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    try:
        model = build_feature_model(
            args.config, args.checkpoint, trust=args.trust, cfg_options=args.cfg_options
        )
    except CheckpointMismatch as error:
        raise SystemExit(str(error)) from error
    image = mmcv.imread(args.image, channel_order='rgb')
    if image is None:
        raise SystemExit(f'--image: cannot read {args.image}.')
    views = sample_views(
        image,
        args.size,
        tuple(args.scale_range),
        seed=args.seed,
        grid=model.feature_size(args.size, args.layer),
        pos_ratio=args.pos_ratio,
    )
    feats = model.features(model.preprocess(to_tensor([view.image for view in views])), args.layer)
    draw_correspondence(views, (feats[0], feats[1]), image, args.pos_ratio, args.panel).save(
        args.out
    )
    print(f'wrote {args.out}')


if __name__ == '__main__':
    main()
