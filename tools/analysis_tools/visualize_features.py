"""PCA of a layer's feature map to RGB, next to the input, one PNG per image (PCD's
Figure 5).

Example::

    python tools/analysis_tools/visualize_features.py \
        configs/pixpro/pixpro_resnet18_1xb16-lars-coslr-2e_demo.py \
        --images data/demo/images --layer backbone.layer3 --out-dir pca/
"""

import argparse
import os
import os.path as osp
from typing import List, Optional

from mmengine.config import DictAction

from mmpcd.visualization import (
    CheckpointMismatch,
    build_feature_model,
    draw_pca,
    load_folder,
    pca_rgb,
    to_tensor,
)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='algorithm config (DenseCL, PixPro, PCD, ...)')
    parser.add_argument('checkpoint', nargs='?', help='its checkpoint; none = initialisation')
    parser.add_argument('--images', required=True, help='folder of photos')
    parser.add_argument(
        '--layer',
        default='backbone',
        help='module name, e.g. backbone.layer3, backbone (last stage) or neck.mhsa',
    )
    parser.add_argument('--out-dir', required=True, help='folder for <image name>.png')
    parser.add_argument('--size', type=int, default=224, help='input side in pixels')
    parser.add_argument('--num-images', type=int, help='only the first N images')
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


def main(argv: Optional[List[str]] = None) -> List[str]:
    args = parse_args(argv)
    try:
        model = build_feature_model(
            args.config, args.checkpoint, trust=args.trust, cfg_options=args.cfg_options
        )
    except CheckpointMismatch as error:
        raise SystemExit(str(error)) from error
    paths, images = load_folder(args.images, args.size, args.num_images)
    feats = model.features(model.preprocess(to_tensor(images)), args.layer)
    os.makedirs(args.out_dir, exist_ok=True)
    written = []
    for path, image, feat in zip(paths, images, feats):
        out = osp.join(args.out_dir, osp.splitext(osp.basename(path))[0] + '.png')
        draw_pca(image, pca_rgb(feat), args.layer, args.panel).save(out)
        written.append(out)
    print(
        f'wrote {len(written)} PNGs to {args.out_dir} ({args.layer}: '
        f'{tuple(feats.shape[1:])} per image)'
    )
    return written


if __name__ == '__main__':
    main()
