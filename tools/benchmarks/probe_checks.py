"""Controlled dense-probe experiments: how the probe's numbers depend on BN statistics,
stages and backbones (the measurements of ``docs/en/dense_bench_investigations.md``).

``python tools/benchmarks/probe_checks.py --models NAME=CONFIG[,CHECKPOINT] ... [--bn ...]
[--stage-sets 1,2,3 3 ...] [--seeds 0 1 2] [--pixels] [--out FILE]``

Every combination of model x BN treatment x stage set x seed is probed with the dense
benchmark's probe (``tools/benchmarks/dense_bench.py``: ``mmpcd.evaluation.dense_probe``,
256 train / 128 val synthetic 64 px images of data seeds 0 / 1, 300 Adam iterations, the seed
initialising a random backbone and the head), and printed as a table (mIoU %, pixel accuracy,
and the fraction of feature channels whose std over the train split is under 1e-6, the
probe's standardisation floor before it became relative: ``constant``). A model without a
checkpoint is its config's random initialisation, as the benchmark's baselines. BN treatments
(``--bn``, applied to the frozen backbone before feature extraction):

- ``as-is``: the BN running statistics as built or loaded (the benchmark's default);
- ``adapted``: :func:`mmpcd.evaluation.adapt_bn_statistics` on the probe's train images (the
  benchmark's BN-adapted baseline: a train-mode forward, cumulative averages);
- ``adapted-val`` / ``adapted-pretrain``: the same on the val images / on as many
  pre-training images as train images (generator seed 100, no augmentation);
- ``momentum``: one train-mode pass over the train images in batches of 32 with PyTorch's
  default BN momentum 0.1 from the statistics as built (what a few lr-0 training steps give,
  issue 17's measurement);
- ``layerwise``: both statistics set layer by layer in eval mode (each BN's input mean and
  variance over the whole train split, the earlier BNs already set): a cross-check of
  ``adapted`` without per-batch normalisation;
- ``mean-only`` / ``var-only``: the same, setting only the running mean (centring, variance
  kept) or only the running variance (scaling, mean kept).

``--pixels`` adds the probe on the normalised RGB pixels average-pooled to the stride-8 grid
(3 channels): what colour alone gives. ``--quick`` shrinks the probe to seconds (tests).
"""

import argparse
import json
import os.path as osp
from dataclasses import asdict, replace
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import nn

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
BATCHNORM = nn.modules.batchnorm._BatchNorm
PRETRAIN_SEED = 100  # configs/benchmarks/small/_base_/small_scale.py's pre-training images
BN_TREATMENTS = (
    'as-is',
    'adapted',
    'adapted-val',
    'adapted-pretrain',
    'momentum',
    'layerwise',
    'mean-only',
    'var-only',
)


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Controlled dense-probe experiments')
    parser.add_argument(
        '--models',
        nargs='+',
        required=True,
        metavar='NAME=CONFIG[,CHECKPOINT]',
        help='backbones to probe: the config\'s model.backbone, random without a checkpoint',
    )
    parser.add_argument('--bn', nargs='+', default=['as-is', 'adapted'], choices=BN_TREATMENTS)
    parser.add_argument(
        '--stage-sets',
        nargs='+',
        default=['1,2,3'],
        help='comma-separated backbone out_indices per probe (default ResNet C3-C5: 1,2,3)',
    )
    parser.add_argument('--seeds', type=int, nargs='+', default=[0])
    parser.add_argument('--pixels', action='store_true', help='also probe the RGB pixels')
    parser.add_argument('--no-standardise', action='store_true', help='skip the standardisation')
    parser.add_argument('--num-train', type=int, default=256)
    parser.add_argument('--num-val', type=int, default=128)
    parser.add_argument('--iters', type=int, default=300)
    parser.add_argument('--quick', action='store_true', help='tiny probe (8/4 images, 5 iters)')
    parser.add_argument('--out', help='also write every row as json here')
    parser.add_argument('--trust', action='store_true', help='full-pickle checkpoint loading')
    return parser.parse_args(argv)


def _parse_model(spec: str) -> Tuple[str, str, Optional[str]]:
    name, sep, rest = spec.partition('=')
    if not sep or not rest:
        raise SystemExit(f'error: --models {spec!r}: expected NAME=CONFIG[,CHECKPOINT]')
    config, _, checkpoint = rest.partition(',')
    return name, osp.join(REPO, config) if not osp.isabs(config) else config, checkpoint or None


def _batchnorms(backbone: nn.Module) -> List[BATCHNORM]:
    """The BNs in the order the forward pass calls them."""
    order: List[BATCHNORM] = []
    hooks = [
        m.register_forward_hook(lambda m, i, o: order.append(m) if m not in order else None)
        for m in backbone.modules()
        if isinstance(m, BATCHNORM)
    ]
    try:
        with torch.no_grad():
            backbone(torch.zeros(1, 3, 64, 64))
    finally:
        for hook in hooks:
            hook.remove()
    return order


@torch.no_grad()
def set_statistics_layerwise(
    backbone: nn.Module, images: torch.Tensor, mean: bool = True, var: bool = True
) -> None:
    """Set every BN's running mean and/or variance to the mean / unbiased variance of its
    input over all of ``images`` (``(N, 3, H, W)`` RGB in [0, 255]), BN by BN in forward
    order, in eval mode (the earlier BNs already set)."""
    from mmpcd.evaluation.dense_probe import _normalise

    inputs = _normalise(images)
    for norm in _batchnorms(backbone):
        captured = []
        hook = norm.register_forward_hook(lambda m, i, o: captured.append(i[0]))
        try:
            for start in range(0, len(inputs), 32):
                backbone(inputs[start : start + 32])
        finally:
            hook.remove()
        x = torch.cat([c.transpose(0, 1).flatten(1) for c in captured], dim=1)  # (C, N*h*w)
        if mean:
            norm.running_mean.copy_(x.mean(dim=1))
        if var:
            norm.running_var.copy_(x.var(dim=1))


@torch.no_grad()
def momentum_pass(backbone: nn.Module, images: torch.Tensor, batch_size: int = 32) -> None:
    """One train-mode pass over ``images`` with the BNs' own momenta (0.1), no reset."""
    from mmpcd.evaluation.dense_probe import _normalise

    backbone.train()
    try:
        for start in range(0, len(images), batch_size):
            backbone(_normalise(images[start : start + batch_size]))
    finally:
        backbone.eval()


def apply_bn_treatment(backbone: nn.Module, treatment: str, images: Dict[str, torch.Tensor]):
    """Change ``backbone``'s BN statistics in place as ``treatment`` (module docstring) says,
    on ``images['train' | 'val' | 'pretrain']``."""
    from mmpcd.evaluation import adapt_bn_statistics

    actions: Dict[str, Callable[[], None]] = {
        'as-is': lambda: None,
        'adapted': lambda: adapt_bn_statistics(backbone, images['train']),
        'adapted-val': lambda: adapt_bn_statistics(backbone, images['val']),
        'adapted-pretrain': lambda: adapt_bn_statistics(backbone, images['pretrain']),
        'momentum': lambda: momentum_pass(backbone, images['train']),
        'layerwise': lambda: set_statistics_layerwise(backbone, images['train']),
        'mean-only': lambda: set_statistics_layerwise(backbone, images['train'], var=False),
        'var-only': lambda: set_statistics_layerwise(backbone, images['train'], mean=False),
    }
    actions[treatment]()
    training = [n for n, m in backbone.named_modules() if m.training]
    if training:
        raise RuntimeError(f'BN treatment {treatment!r} left modules in train mode: {training[:4]}')


def _probe_features(train_f, val_f, data, settings, standardise: bool) -> Tuple[float, float]:
    from mmpcd.evaluation.dense_probe import (
        _logits,
        segmentation_scores,
        train_linear_head,
    )
    from mmpcd.evaluation.dense_probe import standardise as standardise_features

    if standardise:
        train_f, val_f = standardise_features(train_f, val_f)
    head, _ = train_linear_head(train_f, data.train_labels, settings, None, len(data.classes))
    with torch.no_grad():
        pred = _logits(head, val_f, data.val_labels.shape[-2:]).argmax(dim=1)
    miou, acc, _ = segmentation_scores(pred, data.val_labels, data.classes)
    return 100 * miou, 100 * acc


def _constant_fraction(feats: torch.Tensor) -> float:
    """Fraction of the ``(N, C, h, w)`` features' channels whose std is under 1e-6 (absolute)."""
    return float((feats.std(dim=(0, 2, 3)) < 1e-6).float().mean())


def probe_row(
    model, treatment, stages, seed, data, images, settings, standardise, trust=False
) -> dict:
    """One probe of ``model`` = (name, config, checkpoint); ``trust``: full-pickle loading."""
    from mmpcd.evaluation import build_probe_backbone
    from mmpcd.evaluation.dense_probe import extract_features

    name, config, checkpoint = model
    backbone, report = build_probe_backbone(config, checkpoint, stages, seed, trust=trust)
    if report is not None and (report.missing or report.wrong_shape):
        raise RuntimeError(f'{name}: missing {report.missing[:4]}, wrong {report.wrong_shape[:4]}')
    apply_bn_treatment(backbone, treatment, images)
    train_f = extract_features(backbone, data.train_images)
    val_f = extract_features(backbone, data.val_images)
    miou, acc = _probe_features(train_f, val_f, data, replace(settings, seed=seed), standardise)
    return dict(
        model=name,
        bn=treatment,
        stages=list(stages),
        seed=seed,
        miou=miou,
        pixel_acc=acc,
        channels=train_f.shape[1],
        constant_channels=_constant_fraction(train_f),
    )


def pixel_row(seed, data, settings, standardise) -> dict:
    """The probe on the normalised RGB average-pooled to the stride-8 grid."""
    from mmpcd.evaluation.dense_probe import _normalise

    train_f, val_f = (F.avg_pool2d(_normalise(x), 8) for x in (data.train_images, data.val_images))
    miou, acc = _probe_features(train_f, val_f, data, replace(settings, seed=seed), standardise)
    return dict(
        model='RGB pixels',
        bn='-',
        stages=[],
        seed=seed,
        miou=miou,
        pixel_acc=acc,
        channels=3,
        constant_channels=0.0,
    )


def main(argv: Optional[Sequence[str]] = None) -> List[dict]:
    args = parse_args(argv)
    torch.set_num_threads(1)  # the benchmark's probes run on one thread
    from mmpcd.evaluation import DenseProbeSettings, synthetic_probe_data
    from mmpcd.evaluation.dense_probe import make_split

    sizes = (8, 4, 5) if args.quick else (args.num_train, args.num_val, args.iters)
    settings = DenseProbeSettings(num_train=sizes[0], num_val=sizes[1], iters=sizes[2])
    data = synthetic_probe_data(settings)  # data seeds 0 / 1, as the benchmark
    images = dict(
        train=data.train_images,
        val=data.val_images,
        pretrain=make_split(settings.num_train, settings.img_size, PRETRAIN_SEED)[0],
    )
    models = [_parse_model(spec) for spec in args.models]
    stage_sets = [tuple(int(s) for s in spec.split(',')) for spec in args.stage_sets]
    standardise = not args.no_standardise
    rows = []
    print('| model | BN | stages | seed | mIoU | pixel acc | channels | constant |')
    print('|---|---|---|---|---|---|---|---|')

    def show(row):
        rows.append(row)
        print(
            f"| {row['model']} | {row['bn']} | {','.join(map(str, row['stages']))} | "
            f"{row['seed']} | {row['miou']:.2f} | {row['pixel_acc']:.2f} | {row['channels']} | "
            f"{row['constant_channels']:.2f} |",
            flush=True,
        )

    for seed in args.seeds:
        if args.pixels:
            show(pixel_row(seed, data, settings, standardise))
        for model in models:
            for treatment in args.bn:
                for stages in stage_sets:
                    row = probe_row(
                        model,
                        treatment,
                        stages,
                        seed,
                        data,
                        images,
                        settings,
                        standardise,
                        args.trust,
                    )
                    show(row)
    if args.out:
        with open(args.out, 'w') as file:
            summary = dict(settings=asdict(settings), standardise=standardise, rows=rows)
            json.dump(summary, file, indent=1)
    return rows


if __name__ == '__main__':
    main()
