"""PixPro: pixel-to-propagation consistency between two views of an image, and the pipeline
it shares with PixContrast.

`Propagate Yourself: Exploring Pixel-Level Consistency for Unsupervised Visual
Representation Learning <https://arxiv.org/abs/2011.10043>`_ (Xie et al., CVPR 2021).
"""

from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.models.selfsup.base import BaseSelfSupervisor
from mmpretrain.models.utils import CosineEMA
from mmpretrain.structures import DataSample
from torch import Tensor

from mmpcd.registry import MODELS

from ..utils import check_ema_momentum, crop_boxes

INSTANCE_LOSSES = ('byol', 'simclr')
# Arguments of the algorithm until the loss moved into a registered head; configs written
# before name them on the model.
HEAD_ARGUMENTS = ('pos_ratio', 'temperature', 'neg_ratio')

Levels = Tuple[Tensor, ...]  # one (N, C, H_l, W_l) map per level


def _reject_extra_arguments(algorithm: str, kwargs: dict) -> None:
    """Name the fix for the arguments that moved into the head; refuse any other."""
    moved = sorted(key for key in kwargs if key in HEAD_ARGUMENTS)
    if moved:
        raise ValueError(
            f'{algorithm}: {moved} are arguments of the head now; move them into model.head, '
            "e.g. head=dict(type='PixProHead', pos_ratio=0.7) or "
            "head=dict(type='PixContrastHead', temperature=0.3, pos_ratio=0.7)."
        )
    raise TypeError(f'{algorithm} got unexpected arguments {sorted(kwargs)}.')


class BasePixelConsistency(BaseSelfSupervisor):
    """What PixPro and PixContrast share: two views with crop boxes, a momentum target, a
    registered head on every level, an optional instance branch.

    Per step, for views ``v1, v2`` with crop boxes ``c1, c2`` (from the data samples):

    - ``levels(v)``: the neck's outputs (e.g. mmdet's ``FPN``) or, without a neck, the
      backbone's, restricted to ``loss_levels``;
    - online: ``o_v = ppm(projector(levels(v)))``, or ``projector(levels(v))`` without a
      ``ppm``, per level (with gradient);
    - target (momentum copy of backbone, neck, projector and instance projector, updated
      once per step before its forward): ``t_v = normalize(projector'(levels'(v)))``;
    - the dense loss is ``head.loss(o, t, c)`` (e.g. ``PixProHead``'s ``loss_pixpro``), each
      level with its own correspondence;
    - optional ``loss_instance`` (``ins_loss_weight > 0``), see ``ins_loss``; it always
      reads the last backbone output (C5).

    Every dense module maps a per-level tuple of (N, C, H_l, W_l) maps to another, and the
    head takes any number of levels, so a per-level module on FPN levels (e.g. a detection
    head's towers, for head pre-training) slots in after the neck.

    **Momentum.** ``base_momentum`` is in mmengine's EMA convention, ``target = (1 - m) *
    target + m * online``, annealed by ``CosineEMA`` from ``m`` to 0 over the run's
    ``max_iters``: ``m_k = base_momentum * (cos(pi k / K) + 1) / 2``. The official
    ``--pixpro-momentum 0.99`` (``target = 0.99 * target + 0.01 * online`` rising to 1) is
    therefore ``base_momentum=0.01``. As mmengine's EMA does, the target's BN running
    statistics are copied from the online model at each update (the official code lets them
    evolve on their own; both branches normalise with batch statistics in training, so the
    losses are the same).

    **Deviations from the official code.** The 1x1 convs of the projectors have no bias
    before their BN (the official ``MLP2d`` has one; BN cancels it exactly); the instance
    branch pools with an adaptive average instead of ``AvgPool2d(7)`` (the same at 224 px,
    and valid at any size); the FPN variant follows the paper's description (no code was
    released).

    Args:
        backbone: Backbone config (e.g. ResNet with ``out_indices=(3,)``, or ``(0, 1, 2, 3)``
            under an FPN).
        projector: Dense projector applied to every level: a ``DenseProjection`` with
            ``with_global=False`` (1x1 conv-BN-ReLU-1x1 conv, 2048 -> 4096 -> 256).
        head: Loss head config: ``PixProHead`` or ``PixContrastHead``.
        ppm: Online-only module between the projector and the head (a ``PPM``), or None.
        neck: Optional multi-level neck between the backbone and the projector, e.g.
            ``dict(type='mmdet.FPN', ...)``; stored as ``neck`` so mmdet configs load it with
            ``init_cfg=dict(type='Pretrained', prefix='neck.')``.
        loss_levels: Indices of the levels that enter the loss (e.g. ``(1, 2, 3, 4)`` = P3-P6
            of a five-output FPN); None (default) = all.
        base_momentum: Start momentum in mmengine's convention. Defaults to 0.01.
        ins_loss_weight: Weight of the instance loss; 0 (default) builds no instance branch.
        ins_loss: ``'byol'`` (default, the released code: online projector + predictor
            regressing the pooled momentum projection, ``-2 * mean cos`` summed over both
            orders) or ``'simclr'`` (ablation only: the paper's description, NT-Xent between
            the two views' pooled online projections with the other images of the local
            batch as negatives; no predictor, no momentum target).
        ins_projector: Instance projector config (same type as ``projector``, on C5);
            required when ``ins_loss_weight > 0``.
        ins_predictor: Predictor config (256 -> 4096 -> 256 per pixel), ``'byol'`` only.
        ins_temperature: NT-Xent temperature of ``'simclr'``. Defaults to 0.2.
        data_preprocessor: Defaults to ``SelfSupDataPreprocessor``.
        init_cfg: Initialisation config. Defaults to None.
    """

    def __init__(
        self,
        backbone: dict,
        projector: dict,
        head: dict,
        ppm: Optional[dict] = None,
        neck: Optional[dict] = None,
        loss_levels: Optional[Sequence[int]] = None,
        base_momentum: float = 0.01,
        ins_loss_weight: float = 0.0,
        ins_loss: str = 'byol',
        ins_projector: Optional[dict] = None,
        ins_predictor: Optional[dict] = None,
        ins_temperature: float = 0.2,
        data_preprocessor: Optional[dict] = None,
        init_cfg: Optional[Union[List[dict], dict]] = None,
        **kwargs,
    ) -> None:
        if kwargs:
            _reject_extra_arguments(type(self).__name__, kwargs)
        check_ema_momentum(base_momentum, f'{type(self).__name__} base_momentum')
        if ins_loss not in INSTANCE_LOSSES:
            raise ValueError(f'Unknown ins_loss {ins_loss!r}; expected one of {INSTANCE_LOSSES}.')
        self.with_instance = ins_loss_weight > 0
        if self.with_instance and ins_projector is None:
            raise ValueError('ins_loss_weight > 0 needs an `ins_projector` config.')
        if self.with_instance and ins_loss == 'byol' and ins_predictor is None:
            raise ValueError("ins_loss='byol' needs an `ins_predictor` config.")
        super().__init__(
            backbone=backbone,
            neck=neck,
            head=head,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg,
        )
        self.projector = MODELS.build(projector)
        self.ppm = None if ppm is None else MODELS.build(ppm)
        self.loss_levels = None if loss_levels is None else tuple(loss_levels)
        self.ins_loss_weight = ins_loss_weight
        self.ins_loss = ins_loss
        self.ins_temperature = ins_temperature
        if self.with_instance:
            self.ins_projector = MODELS.build(ins_projector)
            if ins_loss == 'byol':
                self.ins_predictor = MODELS.build(ins_predictor)
        # A deep copy: the target starts identical to the online modules.
        self.target_net = CosineEMA(
            self._momentum_modules(), momentum=base_momentum, end_momentum=0.0
        )

    def _momentum_modules(self) -> nn.ModuleDict:
        """The online modules that the target follows (the PPM and predictor are
        online-only, as the official code)."""
        modules = dict(backbone=self.backbone, projector=self.projector)
        if self.with_neck:
            modules['neck'] = self.neck
        if self.with_instance and self.ins_loss == 'byol':
            modules['ins_projector'] = self.ins_projector
        return nn.ModuleDict(modules)

    def _levels(self, modules: nn.ModuleDict, feats: Levels) -> Levels:
        levels = tuple(modules['neck'](feats) if 'neck' in modules else feats)
        if self.loss_levels is None:
            return levels
        try:
            return tuple(levels[i] for i in self.loss_levels)
        except IndexError:
            raise ValueError(
                f'loss_levels {self.loss_levels} selects a level the '
                f'{"neck" if "neck" in modules else "backbone"} does not output '
                f'({len(levels)} levels).'
            ) from None

    def _project(self, modules: nn.ModuleDict, img: Tensor) -> Tuple[Levels, Tensor]:
        """Dense projections (N, D, H_l, W_l) per level and the last backbone map."""
        feats = modules['backbone'](img)
        _, dense, _ = modules['projector'](self._levels(modules, feats))
        return dense, feats[-1]

    def _instance_online(self, c5: Tensor) -> Tensor:
        """Pooled, normalised online instance output (N, D)."""
        _, dense, pooled = self.ins_projector((c5,))
        if self.ins_loss == 'byol':
            _, _, pooled = self.ins_predictor(dense)
        return F.normalize(pooled[0], dim=1)

    def _instance_target(self, c5_target: Tensor) -> Tensor:
        _, _, pooled = self.target_net.module['ins_projector']((c5_target,))
        return F.normalize(pooled[0], dim=1)

    def _simclr_loss(self, z1: Tensor, z2: Tensor) -> Tensor:
        """NT-Xent over the 2N pooled projections (N, D) of the two views; the other
        images of the batch are the negatives."""
        z = torch.cat([z1, z2])
        logits = z @ z.t() / self.ins_temperature
        logits.fill_diagonal_(torch.finfo(logits.dtype).min)
        n = z1.size(0)
        labels = torch.cat([torch.arange(n, 2 * n), torch.arange(n)]).to(z.device)
        return F.cross_entropy(logits, labels)

    def loss(
        self, inputs: List[Tensor], data_samples: List[DataSample], **kwargs
    ) -> Dict[str, Tensor]:
        """Losses of one step.

        Args:
            inputs: ``[view 1 (N, 3, H, W), view 2 (N, 3, H, W)]``.
            data_samples: N samples with ``coord`` (2, 4), the views' crop boxes.

        Returns:
            The head's loss (``loss_pixpro`` or ``loss_pixcontrast``) plus ``loss_instance``
            (already weighted) when the instance branch is on.
        """
        if len(inputs) != 2:
            raise ValueError(f'{type(self).__name__} needs exactly two views, got {len(inputs)}.')
        coords = crop_boxes(data_samples, inputs[0].device, type(self).__name__)
        online_modules = self._momentum_modules()
        projections, c5s = zip(*(self._project(online_modules, img) for img in inputs))
        online = projections if self.ppm is None else [self.ppm(levels) for levels in projections]

        with torch.no_grad():
            self.target_net.update_parameters(self._momentum_modules())
            targets, c5_targets = zip(
                *(self._project(self.target_net.module, img) for img in inputs)
            )
            targets = [[F.normalize(level, dim=1) for level in levels] for levels in targets]

        losses = dict(self.head.loss(online, targets, coords))
        if self.with_instance:
            ins_online = [self._instance_online(c5) for c5 in c5s]
            if self.ins_loss == 'byol':
                with torch.no_grad():
                    ins_target = [self._instance_target(c5) for c5 in c5_targets]
                loss_ins = -2 * (
                    (ins_online[0] * ins_target[1]).sum(1).mean()
                    + (ins_online[1] * ins_target[0]).sum(1).mean()
                )
            else:
                loss_ins = self._simclr_loss(*ins_online)
            losses['loss_instance'] = self.ins_loss_weight * loss_ins
        return losses


@MODELS.register_module()
class PixPro(BasePixelConsistency):
    """PixPro: the propagated online features ``y_v = PPM(projector(levels(v)))`` regress
    the other view's target projections at the positive cell pairs, through a
    ``PixProHead`` (``loss_pixpro``, minimum -4 per level); optional FPN levels and
    instance branch. Everything else is :class:`BasePixelConsistency`'s.

    Args:
        backbone, projector: See :class:`BasePixelConsistency`.
        head: ``PixProHead`` config, e.g. ``dict(type='PixProHead', pos_ratio=0.7)``.
        ppm: ``PPM`` config (required).
        **kwargs: :class:`BasePixelConsistency`'s other arguments.
    """

    def __init__(
        self, backbone: dict, projector: dict, head: dict, ppm: Optional[dict], **kwargs
    ) -> None:
        if ppm is None:
            raise ValueError(
                'PixPro needs a `ppm` (e.g. dict(type="PPM", channels=256)); '
                'without it use PixContrast.'
            )
        super().__init__(backbone=backbone, projector=projector, head=head, ppm=ppm, **kwargs)
