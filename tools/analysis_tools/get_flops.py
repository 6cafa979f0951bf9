"""FLOPs of a pre-training config: its backbone on one view, and one whole training forward
(every view, momentum/teacher branches, necks, heads, loss) per image, i.e. the method's
overhead over the backbone.

``python tools/analysis_tools/get_flops.py CONFIG [--batch 2] [--cfg-options k=v ...]``

The batch comes from the config's own pipeline on the embedded photographs (as
``--smoke-test``); FLOPs are counted by mmengine's ``FlopAnalyzer`` (one multiply-add = one
FLOP, fvcore's convention) on the CPU. Operators it has no counter for (mmpcd's C++ ops among
them) are listed and not counted.
"""

import argparse
import os.path as osp
import sys
import tempfile
from typing import List, Optional

import torch
from mmengine.config import Config, DictAction
from mmengine.dataset import default_collate
from mmengine.registry import DefaultScope

from mmpcd.utils import register_all_modules

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
if REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='a pre-training config (two or more views)')
    parser.add_argument('--batch', type=int, default=2, help='images per counted batch')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings, as for tools/train.py',
    )
    return parser.parse_args(argv)


class _TrainingForward(torch.nn.Module):
    """``model.loss`` on a fixed batch as a module of its inputs, for the tracer."""

    def __init__(self, model: torch.nn.Module, data_samples: list) -> None:
        super().__init__()
        self.model = model
        self.data_samples = data_samples

    def forward(self, *views: torch.Tensor) -> torch.Tensor:
        losses = self.model.loss(list(views), self.data_samples)
        return sum(value.sum() for key, value in losses.items() if 'loss' in key)


def count(cfg: Config, batch: int) -> dict:
    """``backbone`` (FLOPs of the backbone on one view of one image), ``training`` (one
    training forward, per image), ``views``, ``view_shape`` (C, H, W) and ``unsupported``
    (operator names)."""
    from mmengine.analysis import FlopAnalyzer

    from mmpcd.engine.runners.smoke_test import smoke_test_config
    from mmpcd.registry import DATASETS, MODELS

    with tempfile.TemporaryDirectory() as work_dir:
        cfg.work_dir = work_dir
        cfg = smoke_test_config(cfg)
        with DefaultScope.overwrite_default_scope(cfg.get('default_scope', 'mmpcd')):
            dataset = DATASETS.build(cfg.train_dataloader.dataset)
            model = MODELS.build(cfg.model)
    model.train()  # weights do not change FLOPs: no init_weights, no checkpoints read
    data = model.data_preprocessor(default_collate([dataset[i] for i in range(batch)]), True)
    views = data['inputs']
    if isinstance(views, torch.Tensor):
        views = [views]
    with torch.no_grad():
        backbone = FlopAnalyzer(model.backbone, (views[0][:1],))
        backbone.unsupported_ops_warnings(False)
        training = FlopAnalyzer(_TrainingForward(model, data['data_samples']), tuple(views))
        training.unsupported_ops_warnings(False)
        training.uncalled_modules_warnings(False)
        return dict(
            backbone=backbone.total(),
            training=training.total() / batch,
            views=len(views),
            view_shape=tuple(views[0].shape[1:]),
            unsupported=sorted(training.unsupported_ops()),
        )


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    result = count(cfg, args.batch)
    print(f'{osp.basename(args.config)}: views of {result["view_shape"]}')
    print(f'backbone, one view of one image: {result["backbone"] / 1e9:.3f} GFLOPs')
    print(
        f'training forward ({result["views"]} views, all branches), per image: '
        f'{result["training"] / 1e9:.3f} GFLOPs = {result["training"] / result["backbone"]:.2f}'
        ' x the backbone'
    )
    if result['unsupported']:
        print(f'not counted (no FLOP counter): {", ".join(result["unsupported"])}')


if __name__ == '__main__':
    main()
