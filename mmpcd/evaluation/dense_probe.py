"""Dense linear probe on the embedded synthetic data: how much a frozen backbone's feature map
says about every pixel's class.

The backbone of a pre-training config is built, initialised from the ``backbone.*`` part of a
checkpoint (or left random), frozen in eval mode, and run once over the train and val splits of
:class:`~mmpcd.datasets.SyntheticDenseDataset` (different generator seeds, so different
images). A 1x1 conv on the per-channel standardised features (the features' scale then cannot
favour one backbone) is trained with Adam on the upsampled logits' pixel cross-entropy; the
val mIoU over ``SEG_CLASSES`` is the score. Everything is seeded, so a run is reproducible.
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
from mmpcd.registry import MODELS

# ImageNet statistics in RGB, what every mmpcd pre-training config normalises with.
_MEAN = (123.675, 116.28, 103.53)
_STD = (58.395, 57.12, 57.375)
Progress = Callable[[int, int], None]


@dataclass
class DenseProbeSettings:
    """What the probe trains on and how.

    Attributes:
        num_train / num_val: Images of the train split (generator seed ``data_seed``) and of
            the val split (seed ``data_seed + 1``).
        img_size: Side of the square images.
        stages: Backbone stages whose outputs are upsampled to the finest one and concatenated.
        iters / batch_size / lr / weight_decay: Adam on the 1x1 conv.
        seed: Seeds the head's initialisation and the batch order.
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


@dataclass
class DenseProbeResult:
    """``miou`` in [0, 1]; ``class_iou`` per ``SEG_CLASSES`` name; ``pixel_acc``; the head's
    training ``losses`` (one per iteration) and the backbone's ``load_report`` (None when
    random)."""
    miou: float
    pixel_acc: float
    class_iou: Dict[str, float]
    losses: List[float] = field(default_factory=list)
    load_report: Optional[LoadReport] = None


def build_probe_backbone(config: str,
                         checkpoint: Optional[str] = None,
                         stages: Sequence[int] = (1, 2, 3),
                         init_seed: int = 0,
                         trust: bool = False) -> Tuple[nn.Module, Optional[LoadReport]]:
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
        report = load_pretrained(backbone, checkpoint, 'backbone.', target='probe backbone',
                                 trust=trust, switch='trust=True (dense_probe.py --trust)')
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
    return (torch.from_numpy(np.stack(images).astype(np.float32)),
            torch.from_numpy(np.stack(labels).astype(np.int64)))


@torch.no_grad()
def extract_features(backbone: nn.Module, images: torch.Tensor,
                     batch_size: int = 32) -> torch.Tensor:
    """Frozen-backbone features ``(N, C, h, w)``: every returned stage bilinearly resized to
    the finest one's ``(h, w)`` and concatenated along channels."""
    mean = torch.tensor(_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(_STD).view(1, 3, 1, 1)
    chunks = []
    for start in range(0, len(images), batch_size):
        outs = backbone((images[start:start + batch_size] - mean) / std)
        size = outs[0].shape[-2:]
        chunks.append(torch.cat([
            F.interpolate(o, size=size, mode='bilinear', align_corners=False) for o in outs
        ], dim=1))
    return torch.cat(chunks)


def standardise(train: torch.Tensor, val: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
    """Per-channel zero mean / unit variance with the train split's statistics."""
    mean = train.mean(dim=(0, 2, 3), keepdim=True)
    std = train.std(dim=(0, 2, 3), keepdim=True).clamp_min(1e-6)
    return (train - mean) / std, (val - mean) / std


def _logits(head: nn.Conv2d, feats: torch.Tensor, size: int) -> torch.Tensor:
    return F.interpolate(head(feats), size=(size, size), mode='bilinear', align_corners=False)


def train_linear_head(feats: torch.Tensor, labels: torch.Tensor, settings: DenseProbeSettings,
                      progress: Optional[Progress] = None) -> Tuple[nn.Conv2d, List[float]]:
    """Fit a 1x1 conv ``C -> len(SEG_CLASSES)`` to ``feats (N, C, h, w)`` and ``labels
    (N, S, S)``; returns it and its per-iteration losses."""
    generator = torch.Generator().manual_seed(settings.seed)
    torch.manual_seed(settings.seed)
    head = nn.Conv2d(feats.shape[1], len(SEG_CLASSES), kernel_size=1)
    optimizer = torch.optim.Adam(
        head.parameters(), lr=settings.lr, weight_decay=settings.weight_decay)
    losses = []
    for it in range(settings.iters):
        idx = torch.randint(len(feats), (settings.batch_size, ), generator=generator)
        loss = F.cross_entropy(_logits(head, feats[idx], labels.shape[-1]), labels[idx])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        if progress is not None:
            progress(it + 1, settings.iters)
    return head, losses


@torch.no_grad()
def segmentation_scores(pred: torch.Tensor, labels: torch.Tensor) -> Tuple[float, float, Dict]:
    """mIoU, pixel accuracy and per-class IoU of ``pred`` vs ``labels`` (both ``(N, S, S)``).

    As mmseg's ``IoUMetric``: one confusion matrix over the split; classes absent from both
    prediction and labels are left out of the mean.
    """
    num = len(SEG_CLASSES)
    confusion = torch.bincount(labels.flatten() * num + pred.flatten(),
                               minlength=num * num).view(num, num).double()
    tp = confusion.diag()
    union = confusion.sum(0) + confusion.sum(1) - tp
    iou = tp / union  # nan where the class occurs nowhere
    class_iou = {name: float(v) for name, v in zip(SEG_CLASSES, iou)}
    return float(iou.nanmean()), float(tp.sum() / confusion.sum()), class_iou


def run_dense_probe(config: str,
                    checkpoint: Optional[str] = None,
                    settings: Optional[DenseProbeSettings] = None,
                    progress: Optional[Progress] = None,
                    trust: bool = False) -> DenseProbeResult:
    """Probe the backbone of ``config`` with weights from ``checkpoint`` (random if None;
    read weights-only unless ``trust``)."""
    settings = settings or DenseProbeSettings()
    backbone, report = build_probe_backbone(config, checkpoint, settings.stages, settings.seed,
                                            trust)
    train_x, train_y = make_split(settings.num_train, settings.img_size, settings.data_seed)
    val_x, val_y = make_split(settings.num_val, settings.img_size, settings.data_seed + 1)
    train_f, val_f = standardise(
        extract_features(backbone, train_x), extract_features(backbone, val_x))
    head, losses = train_linear_head(train_f, train_y, settings, progress)
    with torch.no_grad():
        pred = _logits(head, val_f, settings.img_size).argmax(dim=1)
    miou, acc, class_iou = segmentation_scores(pred, val_y)
    return DenseProbeResult(miou, acc, class_iou, losses, report)
