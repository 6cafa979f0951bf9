"""Draw what a two-view pre-training config feeds the model: for N samples, the original with
both crop boxes and the two views with PixPro's positive cell pairs.

``python tools/misc/browse_dataset.py CONFIG --out-dir DIR [--num 4] [--grid 7]
[--pos-ratio 0.7] [--cfg-options k=v ...]`` writes ``DIR/sample_<i>.png``.
"""

import argparse
import os
import os.path as osp
import sys
from typing import List, Optional

import mmcv
from mmengine.config import Config, DictAction
from mmengine.registry import DefaultScope

from mmpcd.utils import register_all_modules

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
if REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='a two-view pre-training config')
    parser.add_argument('--out-dir', required=True, help='folder of the PNGs')
    parser.add_argument('--num', type=int, default=4, help='samples to draw')
    parser.add_argument(
        '--grid', type=int, help='cells per side (default: view size / 32, the C5 map of a ResNet)'
    )
    parser.add_argument(
        '--pos-ratio', type=float, help="default: the config's model.head.pos_ratio, else 0.7"
    )
    parser.add_argument('--panel', type=int, default=256, help='panel side in pixels')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings, as for tools/train.py',
    )
    return parser.parse_args(argv)


def views_before_packing(dataset, index: int) -> dict:
    """The pipeline's result for sample ``index`` before its last step (PackInputs)."""
    results = dataset.get_data_info(index)
    for transform in dataset.pipeline.transforms[:-1]:
        results = transform(results)
    if not isinstance(results.get('img'), list) or 'crop_box' not in results:
        raise SystemExit(
            'error: the pipeline makes no views with crop boxes; browse_dataset '
            'draws two-view pre-training configs (MultiViewWithCoord).'
        )
    return results


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    from mmpcd.registry import DATASETS
    from mmpcd.visualization.dataset_views import draw_view_pair

    with DefaultScope.overwrite_default_scope(cfg.get('default_scope', 'mmpcd')):
        dataset = DATASETS.build(cfg.train_dataloader.dataset)
    pos_ratio = args.pos_ratio or cfg.model.get('head', {}).get('pos_ratio', 0.7)
    os.makedirs(args.out_dir, exist_ok=True)
    for index in range(min(args.num, len(dataset))):
        results = views_before_packing(dataset, index)
        views = [mmcv.bgr2rgb(view) for view in results['img']]
        grid = args.grid or max(views[0].shape[0] // 32, 1)
        original = mmcv.bgr2rgb(mmcv.imread(results['img_path']))
        figure = draw_view_pair(
            original,
            views,
            results['coord'],
            results['crop_box'],
            (grid, grid),
            pos_ratio,
            args.panel,
        )
        out = osp.join(args.out_dir, f'sample_{index}.png')
        figure.save(out)
        print(f'wrote {out}')


if __name__ == '__main__':
    main()
