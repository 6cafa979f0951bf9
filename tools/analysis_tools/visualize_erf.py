"""Effective receptive field of a backbone's last stage (optionally after PCD's MHSA), as in
PCD's Figure 4; several models side by side in one PNG.

Example (ResNet-18 of the PCD demo with and without its MHSA, same weights)::

    python tools/analysis_tools/visualize_erf.py \
        configs/pcd/pcd_resnet18_mocov3-resnet18_1xb8-lars-coslr-2e_demo.py \
        --images data/demo/images --out erf.png --mhsa both
"""

import argparse
import json
import os.path as osp
from typing import List, Optional, Tuple

from mmengine.config import Config, DictAction

from mmpcd.visualization import (
    CheckpointMismatch,
    build_feature_model,
    draw_erfs,
    effective_receptive_field,
    erf_centroid,
    erf_widths,
    load_folder,
    to_tensor,
)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='algorithm config (DenseCL, PixPro, PCD, ...)')
    parser.add_argument('checkpoint', nargs='?', help='its checkpoint; none = initialisation')
    parser.add_argument('--images', required=True, help='folder of photos to average over')
    parser.add_argument('--out', required=True, help='PNG to write')
    parser.add_argument(
        '--compare',
        nargs='+',
        default=[],
        metavar='CONFIG[,CHECKPOINT]',
        help='more models, drawn to the right of the first',
    )
    parser.add_argument('--labels', nargs='+', help='one label per model (default: backbone)')
    parser.add_argument(
        '--mhsa',
        choices=['auto', 'off', 'both'],
        default='auto',
        help="models whose neck has PCD's MHSA: through it (auto), without it (off), or one "
        'panel each (both, same backbone weights)',
    )
    parser.add_argument('--size', type=int, default=224, help='input side in pixels')
    parser.add_argument('--num-images', type=int, default=32, help='images to average over')
    parser.add_argument(
        '--window',
        type=int,
        help='side of the window of the "outside" share, in pixels (default: size / 4)',
    )
    parser.add_argument('--scale', choices=['log', 'linear'], default='log')
    parser.add_argument('--panel', type=int, default=256, help='panel side in pixels')
    parser.add_argument('--json', help='also write the ERF widths to this file')
    parser.add_argument(
        '--trust',
        action='store_true',
        help='allow checkpoints with pickled objects (tools/train.py output)',
    )
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings of every model, e.g. model.backbone.zero_init_residual=True',
    )
    return parser.parse_args(argv)


def default_label(config: str) -> str:
    """``ResNet-18`` from the config's backbone, else the config's file name."""
    backbone = Config.fromfile(config).model.get('backbone', {})
    if 'depth' in backbone:
        return f'{backbone["type"]}-{backbone["depth"]}'
    return backbone.get('type', osp.splitext(osp.basename(config))[0])


def model_specs(args: argparse.Namespace) -> List[Tuple[str, Optional[str]]]:
    """(config, checkpoint) of every model, the positional one first."""
    specs = [(args.config, args.checkpoint)]
    for spec in args.compare:
        config, _, checkpoint = spec.partition(',')
        specs.append((config, checkpoint or None))
    if args.labels is not None and len(args.labels) != len(specs):
        raise SystemExit(f'--labels: {len(args.labels)} labels for {len(specs)} models.')
    return specs


def main(argv: Optional[List[str]] = None) -> dict:
    args = parse_args(argv)
    specs = model_specs(args)
    window = args.window or args.size // 4
    _, images = load_folder(args.images, args.size, args.num_images)
    panels, widths = [], {}
    for number, (config, checkpoint) in enumerate(specs):
        try:
            model = build_feature_model(
                config, checkpoint, trust=args.trust, cfg_options=args.cfg_options
            )
        except CheckpointMismatch as error:
            raise SystemExit(str(error)) from error
        label = args.labels[number] if args.labels else default_label(config)
        inputs = model.preprocess(to_tensor(images))
        mhsa = model.mhsa_layer
        if mhsa is None or args.mhsa == 'off':
            layers = [(label, 'backbone')]
        elif args.mhsa == 'auto':
            layers = [(label, mhsa)]
        else:
            layers = [(label, 'backbone'), (f'{label}+MHSA', mhsa)]
        for name, layer in layers:
            erf, feat_hw = effective_receptive_field(
                lambda x, layer=layer: model.features(x, layer), inputs
            )
            centre = erf_centroid(erf)
            measured = erf_widths(erf, centre, window)
            panels.append((name, erf, centre, measured))
            widths[name] = dict(
                measured,
                layer=layer,
                window=window,
                size=args.size,
                feature_size=list(feat_hw),
                images=len(images),
            )
            print(
                f'{name} ({layer}): 50% of the ERF within {measured["radius"]:.1f} px, '
                f'{100 * measured["outside"]:.1f}% outside a {window} px square around its '
                'centre of mass'
            )
    draw_erfs(panels, window, args.scale, args.panel).save(args.out)
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(widths, f, indent=2)
    print(f'wrote {args.out}')
    return widths


if __name__ == '__main__':
    main()
