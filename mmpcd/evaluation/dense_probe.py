"""Dense linear probe: how much a frozen backbone's feature map says about every pixel's class.

A backbone (built from a config and a checkpoint by :func:`run_dense_probe`, or any live
module by :func:`probe_backbone`, which :class:`~mmpcd.engine.hooks.DenseProbeHook` uses during
training) is frozen in eval mode and run once over a labelled train and val split: by default
the embedded :class:`~mmpcd.datasets.SyntheticDenseDataset` images (different generator seeds,
so different images), or any mmseg-style dataset (:func:`dataset_probe_data`). A 1x1 conv on
the per-channel standardised features (the features' scale then cannot favour one backbone) is
trained with Adam on the upsampled logits' pixel cross-entropy; the val mIoU is the score.
Everything is seeded, so a run is reproducible.

``adapt_bn`` first re-estimates every BatchNorm's running statistics on the train images (a
train-mode forward without gradient): the baseline that tells learnt features from BN
statistics that merely fit the data.
"""

import logging
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Callable, Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.model import revert_sync_batchnorm
from torch import nn

from mmpcd.datasets.synthetic_dense import SEG_CLASSES, generate_dense_sample
from mmpcd.models.utils.pretrained import LoadReport, load_pretrained
from mmpcd.registry import DATASETS, MODELS

# ImageNet statistics in RGB, what every mmpcd pre-training config normalises with.
_MEAN = (123.675, 116.28, 103.53)
_STD = (58.395, 57.12, 57.375)
# Label of pixels that count for no class (mmseg's convention).
IGNORE_INDEX = 255
Progress = Callable[[int, int], None]


@dataclass
class DenseProbeSettings:
    """What the probe trains on and how.

    Attributes:
        num_train / num_val: Images of the synthetic train split (generator seed
            ``data_seed``) and val split (seed ``data_seed + 1``).
        img_size: Side of the square synthetic images.
        stages: Backbone stages whose outputs are upsampled to the finest one and concatenated.
        iters / batch_size / lr / weight_decay: Adam on the 1x1 conv.
        seed: Seeds the head's initialisation and the batch order (and, in
            :func:`run_dense_probe`, a random backbone's initialisation).
        adapt_bn: Re-estimate the backbone's BN running statistics on the train images
            before extracting features.
    """

    num_train: int = 96
    num_val: int = 48
    img_size: int = 64
    stages: Tuple[int, ...] = (1, 2, 3)
    iters: int = 300
    batch_size: int = 16
    lr: float = 0.01
    weight_decay: float = 1e-4
    data_seed: int = 0
    seed: int = 0
    adapt_bn: bool = False


@dataclass
class ProbeData:
    """Labelled images of the probe: ``(N, 3, H, W)`` float RGB in [0, 255] and ``(N, H, W)``
    int64 labels indexing ``classes`` (``IGNORE_INDEX`` for unlabelled pixels)."""

    train_images: torch.Tensor
    train_labels: torch.Tensor
    val_images: torch.Tensor
    val_labels: torch.Tensor
    classes: Tuple[str, ...] = SEG_CLASSES


@dataclass
class DenseProbeResult:
    """``miou`` in [0, 1]; ``class_iou`` per class name; ``pixel_acc``; the head's
    training ``losses`` (one per iteration) and the backbone's ``load_report`` (None when
    random)."""

    miou: float
    pixel_acc: float
    class_iou: Dict[str, float]
    losses: List[float] = field(default_factory=list)
    load_report: Optional[LoadReport] = None


def build_probe_backbone(
    config: str,
    checkpoint: Optional[str] = None,
    stages: Sequence[int] = (1, 2, 3),
    init_seed: int = 0,
    trust: bool = False,
) -> Tuple[nn.Module, Optional[LoadReport]]:
    """The backbone of ``config``'s ``model.backbone``, returning ``stages``, initialised from
    ``checkpoint``'s ``backbone.*`` (read weights-only unless ``trust``) or, when
    ``checkpoint`` is None, by its own ``init_cfg`` with torch seeded by ``init_seed``; frozen
    and in eval mode."""
    from mmpcd.utils import register_all_modules

    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(config).model.backbone
    cfg.out_indices = tuple(stages)
    torch.manual_seed(init_seed)
    backbone = revert_sync_batchnorm(MODELS.build(cfg))
    if checkpoint is None:
        # "Random" is the config's own initialisation (e.g. zero_init_residual), i.e. the
        # weights pre-training starts from; PyTorch's default init is a different baseline.
        with _quiet_logger():
            backbone.init_weights()
    report = None
    if checkpoint is not None:
        report = load_pretrained(
            backbone,
            checkpoint,
            'backbone.',
            target='probe backbone',
            trust=trust,
            switch='trust=True (dense_probe.py --trust)',
        )
    backbone.eval()
    backbone.requires_grad_(False)
    return backbone, report


@contextmanager
def _quiet_logger() -> Iterator[None]:
    """Silence mmengine's per-parameter dump of ``init_weights``."""
    logger = MMLogger.get_current_instance()
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


def make_split(num_images: int, img_size: int, seed: int) -> Tuple[torch.Tensor, torch.Tensor]:
    """Synthetic images and labels: ``(N, 3, S, S)`` float RGB in [0, 255] and ``(N, S, S)``
    int64 values indexing ``SEG_CLASSES``."""
    images, labels = [], []
    for index in range(num_images):
        sample = generate_dense_sample(index, seed=seed, img_shape=(img_size, img_size))
        images.append(sample['img'][..., ::-1].transpose(2, 0, 1))  # BGR HWC -> RGB CHW
        labels.append(sample['gt_seg_map'])
    return (
        torch.from_numpy(np.stack(images).astype(np.float32)),
        torch.from_numpy(np.stack(labels).astype(np.int64)),
    )


def synthetic_probe_data(settings: DenseProbeSettings) -> ProbeData:
    """The synthetic train (seed ``data_seed``) and val (seed ``data_seed + 1``) splits."""
    train = make_split(settings.num_train, settings.img_size, settings.data_seed)
    val = make_split(settings.num_val, settings.img_size, settings.data_seed + 1)
    return ProbeData(*train, *val, classes=SEG_CLASSES)


def _dataset_split(cfg: dict, what: str) -> Tuple[torch.Tensor, torch.Tensor, Tuple[str, ...]]:
    """Every sample of the dataset ``cfg`` after its pipeline, stacked."""
    dataset = DATASETS.build(cfg)
    images, labels = [], []
    for index in range(len(dataset)):
        sample = dataset[index]
        if 'img' not in sample or 'gt_seg_map' not in sample:
            raise KeyError(
                f'dense probe {what} dataset: sample {index} has no img/gt_seg_map after the '
                f'pipeline (keys {sorted(sample)}); end the pipeline after loading and '
                'resizing the image and its annotation, before any Pack* transform.'
            )
        images.append(np.ascontiguousarray(sample['img'][..., ::-1].transpose(2, 0, 1)))
        labels.append(np.asarray(sample['gt_seg_map'], dtype=np.int64))
    shapes = {tuple(label.shape) for label in labels}
    if len(shapes) != 1:
        raise ValueError(
            f'dense probe {what} dataset: images of different sizes {sorted(shapes)[:4]}; add '
            "a fixed-size resize or crop to its pipeline (e.g. dict(type='mmseg.Resize', "
            'scale=(64, 64), keep_ratio=False)).'
        )
    classes = tuple(dataset.metainfo.get('classes', ()))
    if not classes:
        raise ValueError(f'dense probe {what} dataset has no metainfo["classes"].')
    return (
        torch.from_numpy(np.stack(images).astype(np.float32)),
        torch.from_numpy(np.stack(labels)),
        classes,
    )


def dataset_probe_data(train: dict, val: dict) -> ProbeData:
    """Probe data from two mmseg-style dataset configs whose pipelines leave ``img`` (H, W, 3)
    BGR and ``gt_seg_map`` (H, W) of one fixed size (load, annotate, resize; no packing)."""
    train_x, train_y, classes = _dataset_split(train, 'train')
    val_x, val_y, val_classes = _dataset_split(val, 'val')
    if val_classes != classes:
        raise ValueError(
            f'dense probe train and val datasets have different classes: '
            f'{classes} vs {val_classes}.'
        )
    return ProbeData(train_x, train_y, val_x, val_y, classes)


def _normalise(images: torch.Tensor) -> torch.Tensor:
    mean = images.new_tensor(_MEAN).view(1, 3, 1, 1)
    std = images.new_tensor(_STD).view(1, 3, 1, 1)
    return (images - mean) / std


@torch.no_grad()
def adapt_bn_statistics(backbone: nn.Module, images: torch.Tensor, batch_size: int = 32) -> None:
    """Replace every BatchNorm's running mean and variance by their average over ``images``
    (``(N, 3, H, W)`` RGB in [0, 255]): a train-mode forward without gradient; the module is
    left in eval mode and the BN momenta as they were."""
    norms = [m for m in backbone.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    momenta = [m.momentum for m in norms]
    for norm in norms:
        norm.reset_running_stats()
        norm.momentum = None  # cumulative average over the batches
    backbone.train()
    try:
        for start in range(0, len(images), batch_size):
            backbone(_normalise(images[start : start + batch_size]))
    finally:
        for norm, momentum in zip(norms, momenta):
            norm.momentum = momentum
        backbone.eval()


@torch.no_grad()
def extract_features(
    backbone: nn.Module, images: torch.Tensor, batch_size: int = 32
) -> torch.Tensor:
    """Frozen-backbone features ``(N, C, h, w)`` of ``images`` (``(N, 3, H, W)`` RGB in
    [0, 255]): every returned stage bilinearly resized to the finest one's ``(h, w)`` and
    concatenated along channels."""
    chunks = []
    for start in range(0, len(images), batch_size):
        outs = backbone(_normalise(images[start : start + batch_size]))
        size = outs[0].shape[-2:]
        chunks.append(
            torch.cat(
                [F.interpolate(o, size=size, mode='bilinear', align_corners=False) for o in outs],
                dim=1,
            )
        )
    return torch.cat(chunks)


def standardise(train: torch.Tensor, val: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
    """Per-channel zero mean / unit variance with the train split's statistics.

    Invariant to the features' overall scale: the floor that keeps constant channels at zero
    is relative to the largest channel std (an absolute one zeroed every channel of a random
    MobileNetV3, whose eval-mode activations shrink to ~1e-9 by its last layer)."""
    mean = train.mean(dim=(0, 2, 3), keepdim=True)
    std = train.std(dim=(0, 2, 3), keepdim=True)
    floor = (1e-6 * std.max()).clamp_min(torch.finfo(std.dtype).tiny)
    std = std.clamp_min(floor)
    return (train - mean) / std, (val - mean) / std


def _logits(head: nn.Conv2d, feats: torch.Tensor, size: Tuple[int, int]) -> torch.Tensor:
    return F.interpolate(head(feats), size=size, mode='bilinear', align_corners=False)


def train_linear_head(
    feats: torch.Tensor,
    labels: torch.Tensor,
    settings: DenseProbeSettings,
    progress: Optional[Progress] = None,
    num_classes: int = len(SEG_CLASSES),
) -> Tuple[nn.Conv2d, List[float]]:
    """Fit a 1x1 conv ``C -> num_classes`` to ``feats (N, C, h, w)`` and ``labels
    (N, H, W)``; returns it and its per-iteration losses."""
    generator = torch.Generator().manual_seed(settings.seed)
    torch.manual_seed(settings.seed)
    head = nn.Conv2d(feats.shape[1], num_classes, kernel_size=1).to(feats.device)
    optimizer = torch.optim.Adam(
        head.parameters(), lr=settings.lr, weight_decay=settings.weight_decay
    )
    losses = []
    for it in range(settings.iters):
        idx = torch.randint(len(feats), (settings.batch_size,), generator=generator)
        idx = idx.to(feats.device)
        loss = F.cross_entropy(
            _logits(head, feats[idx], labels.shape[-2:]), labels[idx], ignore_index=IGNORE_INDEX
        )
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        if progress is not None:
            progress(it + 1, settings.iters)
    return head, losses


@torch.no_grad()
def segmentation_scores(
    pred: torch.Tensor, labels: torch.Tensor, classes: Sequence[str] = SEG_CLASSES
) -> Tuple[float, float, Dict]:
    """mIoU, pixel accuracy and per-class IoU of ``pred`` vs ``labels`` (both ``(N, H, W)``).

    As mmseg's ``IoUMetric``: one confusion matrix over the split; pixels labelled outside
    ``classes`` (``IGNORE_INDEX``) are left out, and so are classes absent from both
    prediction and labels.
    """
    num = len(classes)
    valid = (labels >= 0) & (labels < num)
    confusion = (
        torch.bincount(labels[valid] * num + pred[valid], minlength=num * num)
        .view(num, num)
        .double()
    )
    tp = confusion.diag()
    union = confusion.sum(0) + confusion.sum(1) - tp
    iou = tp / union  # nan where the class occurs nowhere
    class_iou = {name: float(v) for name, v in zip(classes, iou)}
    return float(iou.nanmean()), float(tp.sum() / confusion.sum()), class_iou


def probe_backbone(
    backbone: nn.Module,
    data: ProbeData,
    settings: DenseProbeSettings,
    progress: Optional[Progress] = None,
) -> DenseProbeResult:
    """Probe a frozen ``backbone`` (eval mode, returning the stages to concatenate) on
    ``data``. With ``settings.adapt_bn`` its BN statistics are re-estimated first (in place)."""
    device = next(backbone.parameters()).device
    train_x, val_x = data.train_images.to(device), data.val_images.to(device)
    if settings.adapt_bn:
        adapt_bn_statistics(backbone, train_x)
    train_f, val_f = standardise(
        extract_features(backbone, train_x), extract_features(backbone, val_x)
    )
    train_y, val_y = data.train_labels.to(device), data.val_labels.to(device)
    head, losses = train_linear_head(
        train_f, train_y, settings, progress, num_classes=len(data.classes)
    )
    with torch.no_grad():
        pred = _logits(head, val_f, val_y.shape[-2:]).argmax(dim=1)
    miou, acc, class_iou = segmentation_scores(pred, val_y, data.classes)
    return DenseProbeResult(miou, acc, class_iou, losses)


def run_dense_probe(
    config: str,
    checkpoint: Optional[str] = None,
    settings: Optional[DenseProbeSettings] = None,
    progress: Optional[Progress] = None,
    trust: bool = False,
    data: Optional[ProbeData] = None,
) -> DenseProbeResult:
    """Probe the backbone of ``config`` with weights from ``checkpoint`` (random if None;
    read weights-only unless ``trust``) on ``data`` (default: the synthetic splits of
    ``settings``)."""
    settings = settings or DenseProbeSettings()
    backbone, report = build_probe_backbone(
        config, checkpoint, settings.stages, settings.seed, trust
    )
    result = probe_backbone(backbone, data or synthetic_probe_data(settings), settings, progress)
    result.load_report = report
    return result
