"""PCD: distil a frozen self-supervised teacher into a small student pixel by pixel.

`Pixel-Wise Contrastive Distillation <https://arxiv.org/abs/2211.00218>`_ (Huang & Guo,
ICCV 2023); official code github.com/allo-rene/pcd.
"""

from typing import Dict, List, Optional, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.models.selfsup.base import BaseSelfSupervisor
from mmpretrain.structures import DataSample
from torch import Tensor

from mmpcd.ops import align_views
from mmpcd.registry import MODELS

from ..utils import check_batch_fits, crop_boxes, enqueue

PAIRINGS = ('same_view', 'cross_view_aligned', 'cross_view_grid')
TEACHER_BN_MODES = ('eval', 'train')


@MODELS.register_module()
class PCD(BaseSelfSupervisor):
    """Pixel-wise contrastive distillation with a queue of pooled teacher embeddings.

    With student maps ``S(v) = neck(backbone(v))`` and frozen teacher maps ``T(v)``, all
    (N, D, H, W), and ``l`` the per-pixel InfoNCE of the head (negatives = ``queue``)::

        same_view          : loss = (l(S(v1), T(v1)) + l(S(v2), T(v2))) / 2
        cross_view_grid    : loss = (l(S(v1), T(v2)) + l(S(v2), T(v1))) / 2
        cross_view_aligned : as cross_view_grid on both maps resampled onto the crops'
                             intersection (mmpcd.ops.align_views); images whose crops do not
                             overlap are left out

    After the loss ``normalize(GAP(T(v1)))`` of all processes enters ``queue`` (D, K).

    ``same_view`` (default) pairs pixels that see the same image content, the reading of the
    paper's "corresponding pixels" (and of SEED, whose design PCD extends).
    ``cross_view_grid`` is the released code's pairing: under independent random crops and
    flips its grid positions are **not** geometrically corresponding; it is kept only to
    reproduce that code.

    Attribute names: ``backbone`` (student, the only part to export), ``neck`` (MHSA +
    projector + predictor), ``head``, ``teacher`` (frozen), buffers ``queue`` and
    ``queue_ptr`` (saved in checkpoints, so resuming keeps them).

    Args:
        backbone: Student backbone config with one output level (e.g. ResNet-18 with
            ``out_indices=(3,)``).
        neck: Student neck config, e.g. ``PCDStudentNeck``; returns a 1-tuple of
            (N, D, H, W).
        head: ``PCDHead`` config (``PixelContrastHead``, its former name, still builds it).
        teacher: ``PCDTeacher`` config (backbone, SpatialAdaptor, checkpoint, layout).
        queue_len: Negatives K, at least the global batch (a ring buffer: see
            :mod:`mmpcd.models.utils.queue`). Defaults to 65536.
        feat_dim: D. Defaults to 256 (MoCo v3 teacher).
        pairing: One of :data:`PAIRINGS`. Defaults to ``'same_view'``.
        teacher_bn: ``'eval'`` (default) keeps the teacher in eval mode, so its BN uses the
            pretrained running statistics and the SpatialAdaptor invariance holds;
            ``'train'`` lets it follow ``model.train()`` as the released code does (batch
            statistics, running statistics overwritten).
        data_preprocessor: Defaults to ``SelfSupDataPreprocessor``.
        init_cfg: Initialisation config. Defaults to None.
    """

    def __init__(
        self,
        backbone: dict,
        neck: dict,
        head: dict,
        teacher: dict,
        queue_len: int = 65536,
        feat_dim: int = 256,
        pairing: str = 'same_view',
        teacher_bn: str = 'eval',
        data_preprocessor: Optional[dict] = None,
        init_cfg: Union[List[dict], dict, None] = None,
    ) -> None:
        if pairing not in PAIRINGS:
            raise ValueError(f'Unknown PCD pairing {pairing!r}; expected one of {PAIRINGS}.')
        if teacher_bn not in TEACHER_BN_MODES:
            raise ValueError(
                f'Unknown PCD teacher_bn {teacher_bn!r}; expected one of {TEACHER_BN_MODES}.'
            )
        super().__init__(
            backbone=backbone,
            neck=neck,
            head=head,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg,
        )
        if not isinstance(teacher, nn.Module):
            teacher = MODELS.build(dict(dict(type='PCDTeacher'), **teacher))
        self.teacher = teacher.requires_grad_(False)
        self.queue_len = queue_len
        self.pairing = pairing
        self.teacher_bn = teacher_bn
        self.register_buffer('queue', F.normalize(torch.randn(feat_dim, queue_len), dim=0))
        self.register_buffer('queue_ptr', torch.zeros(1, dtype=torch.long))
        self.train(self.training)

    def train(self, mode: bool = True) -> 'PCD':
        """Set the mode; the teacher stays in eval mode unless ``teacher_bn='train'``."""
        super().train(mode)
        if self.teacher_bn == 'eval':
            self.teacher.eval()
        return self

    def pair(
        self,
        student: Tuple[Tensor, Tensor],
        teacher: Tuple[Tensor, Tensor],
        data_samples: List[DataSample],
    ) -> List[Tuple[Tensor, Tensor]]:
        """The (student, teacher) map pairs whose pixels are contrasted, per ``pairing``.

        Args:
            student, teacher: Maps of view 1 and view 2, each (N, D, H, W).
            data_samples: Carry ``coord`` (2, 4) per image for ``cross_view_aligned``.

        Returns:
            Two pairs of (M, D, h, w) maps; M = N except for ``cross_view_aligned`` (the
            images whose crops overlap).
        """
        (s1, s2), (t1, t2) = student, teacher
        if self.pairing == 'same_view':
            return [(s1, t1), (s2, t2)]
        if self.pairing == 'cross_view_grid':
            return [(s1, t2), (s2, t1)]
        coord = crop_boxes(data_samples, s1.device, 'PCD pairing="cross_view_aligned"')
        c1, c2 = coord[:, 0], coord[:, 1]
        size = tuple(s1.shape[2:])
        s1a, valid = align_views(s1, c1, c2, size)
        s2a, _ = align_views(s2, c2, c1, size)
        t1a, _ = align_views(t1, c1, c2, size)
        t2a, _ = align_views(t2, c2, c1, size)
        return [(s1a[valid], t2a[valid]), (s2a[valid], t1a[valid])]

    @staticmethod
    def monitor_accuracy(student: Tensor, key: Tensor, queue: Tensor) -> Dict[str, Tensor]:
        """The reference's monitoring accuracy: pooled student vs ``[key | queue]``.

        Image i's positive is its own key (the released lines score an (N, N) product with
        label 0 and multiply by ``queue.t()``, which cannot run; this is their evident intent).

        Args:
            student: Student map of view 1 (N, D, H, W).
            key: Normalised pooled teacher output of view 1 (N, D), the positive.
            queue: Negatives (D, K).

        Returns:
            ``dict(acc_top1, acc_top5)`` in percent (no gradient).
        """
        with torch.no_grad():
            query = F.normalize(F.adaptive_avg_pool2d(student, 1).flatten(1), dim=1)
            logits = torch.cat([(query * key).sum(1, keepdim=True), query @ queue], dim=1)
            ranks = (logits > logits[:, :1]).sum(1)  # negatives beating the positive
            return dict(
                acc_top1=(ranks < 1).float().mean() * 100, acc_top5=(ranks < 5).float().mean() * 100
            )

    def loss(
        self, inputs: List[Tensor], data_samples: List[DataSample], **kwargs
    ) -> Dict[str, Tensor]:
        """Distillation loss of one step; updates the queue last.

        Args:
            inputs: ``[view 1 (N, 3, H0, W0), view 2 (N, 3, H0, W0)]``.
            data_samples: Per image; ``coord`` (2, 4) needed for ``cross_view_aligned``.

        Returns:
            ``dict(loss, acc_top1, acc_top5)``; the accuracies are monitoring only.
        """
        if len(inputs) != 2:
            raise ValueError(
                f'PCD needs two views per image, got {len(inputs)} (use '
                'MultiView(num_views=[1, 1]) or MultiViewWithCoord).'
            )
        check_batch_fits(self.queue_len, inputs[0].size(0), 'PCD')
        student = tuple(self.neck(self.backbone(view))[0] for view in inputs)
        with torch.no_grad():
            teacher = tuple(self.teacher(view) for view in inputs)
        if student[0].shape != teacher[0].shape:
            raise ValueError(
                f'Student output {tuple(student[0].shape)} and teacher output '
                f'{tuple(teacher[0].shape)} differ: match the neck\'s out_channels to the '
                'teacher\'s and use backbones of the same output stride.'
            )
        key = F.normalize(F.adaptive_avg_pool2d(teacher[0], 1).flatten(1), dim=1)
        queue = self.queue.clone().detach()

        pairs = self.pair(student, teacher, data_samples)
        if pairs[0][0].size(0) == 0:
            # No crops overlap in this batch: a zero loss that still reaches every parameter.
            loss = sum(s.sum() for s in student) * 0.0
        else:
            loss = sum(self.head.loss(s, t, queue) for s, t in pairs) / len(pairs)
        losses = dict(loss=loss, **self.monitor_accuracy(student[0], key, queue))
        enqueue(self.queue, self.queue_ptr, key)
        return losses
