"""DenseCL: global MoCo-v2 contrast plus a dense contrast between matched pixels.

`Dense Contrastive Learning for Self-Supervised Visual Pre-Training
<https://arxiv.org/abs/2011.09157>`_ (Wang et al., CVPR 2021).
"""

import math
from typing import Dict, List, Optional, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.dist import get_world_size
from mmengine.model import ExponentialMovingAverage
from mmpretrain.models.selfsup.base import BaseSelfSupervisor
from mmpretrain.models.utils import batch_shuffle_ddp, batch_unshuffle_ddp
from mmpretrain.structures import DataSample
from torch import Tensor

from mmpcd.ops import dense_argmax_match
from mmpcd.registry import MODELS

from ..utils import check_batch_fits, check_ema_momentum, enqueue

MATCHINGS = ('backbone', 'projection', 'random')


@MODELS.register_module()
class DenseCL(BaseSelfSupervisor):
    """DenseCL with a momentum key encoder, two negative queues and a choice of matching.

    Per step, view 0 is the query and view 1 the key (no symmetrisation, as the official
    code). With query projections ``q`` (N, D), ``q_grid`` (N, D, S*S) and key ones
    ``k``, ``k_grid``, ``k2`` (pooled dense, N, D), all L2-normalised along D:

    - ``L_single = CE([<q, k>, q @ queue] / T, 0)`` over N,
    - ``L_dense = CE([<q_grid_i, k_grid_idx(i)>, q_grid_i @ queue2] / T, 0)`` over N*S*S,
    - returned as ``loss_single = (1 - lambda) * L_single`` and
      ``loss_dense = lambda * L_dense`` (each term carries its weight, as mmpretrain),

    then ``k`` enters ``queue`` and ``k2`` enters ``queue2``. ``idx(i)`` is the key cell
    matched to query cell ``i`` (see ``matching``). T is the head's temperature.

    The attribute and buffer names are mmpretrain's ``DenseCL``'s (``backbone``, ``neck``,
    ``head``, ``encoder_k`` = EMA of ``nn.Sequential(backbone, neck)``, ``queue``,
    ``queue_ptr``, ``queue2``, ``queue2_ptr``), so with a ``DenseProjection`` neck in its
    default layout the two state dicts map 1:1 and load into each other strictly.

    Args:
        backbone: Backbone config; must output a single level (N, C, H, W) (e.g. ResNet
            with ``out_indices=(3,)``).
        neck: ``DenseProjection`` config (``with_global=True``), returning per-level tuples
            ``(global (N, D), dense maps (N, D, S, S), pooled_dense (N, D))``; mmpretrain's
            ``DenseCLNeck`` weights load into it as they are.
        head: Contrastive head config, e.g. ``ContrastiveHead`` with ``temperature=0.2``.
        queue_len: Negatives per queue, at least the global batch (a ring buffer: see
            :mod:`mmpcd.models.utils.queue`). Defaults to 65536.
        feat_dim: D. Defaults to 128.
        momentum: mmengine EMA momentum in (0, 0.5]: ``key = (1 - m) * key + m * query``,
            so 0.001 is the official/MoCo 0.999. Defaults to 0.001.
        loss_lambda: lambda, weight of the dense loss. Defaults to 0.5.
        matching: Source of the correspondence ``idx``:
            ``'backbone'`` (default, official): argmax cosine similarity of the backbone
            maps, adaptive-avg-pooled to the dense head's S x S grid first (so a
            ``num_grid`` different from the native size works);
            ``'projection'`` (ablation only): argmax cosine similarity of the dense
            projections;
            ``'random'`` (ablation only): a random permutation of the S*S key cells per image.
        data_preprocessor: Defaults to ``SelfSupDataPreprocessor``.
        init_cfg: Initialisation config. Defaults to None.
    """

    def __init__(
        self,
        backbone: dict,
        neck: dict,
        head: dict,
        queue_len: int = 65536,
        feat_dim: int = 128,
        momentum: float = 0.001,
        loss_lambda: float = 0.5,
        matching: str = 'backbone',
        data_preprocessor: Optional[dict] = None,
        init_cfg: Optional[Union[List[dict], dict]] = None,
    ) -> None:
        check_ema_momentum(momentum, 'DenseCL momentum')
        if matching not in MATCHINGS:
            raise ValueError(f'Unknown DenseCL matching {matching!r}; expected one of {MATCHINGS}.')
        super().__init__(
            backbone=backbone,
            neck=neck,
            head=head,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg,
        )
        # A deep copy: the key encoder starts identical to the query encoder.
        self.encoder_k = ExponentialMovingAverage(nn.Sequential(self.backbone, self.neck), momentum)
        self.queue_len = queue_len
        self.loss_lambda = loss_lambda
        self.matching = matching

        self.register_buffer('queue', F.normalize(torch.randn(feat_dim, queue_len), dim=0))
        self.register_buffer('queue_ptr', torch.zeros(1, dtype=torch.long))
        self.register_buffer('queue2', F.normalize(torch.randn(feat_dim, queue_len), dim=0))
        self.register_buffer('queue2_ptr', torch.zeros(1, dtype=torch.long))

    def _encode(self, encoder: nn.Sequential, img: Tensor) -> Tuple[Tensor, Tensor, Tensor, Tensor]:
        """Backbone map (N, C, H, W) and normalised global (N, D), dense (N, D, S*S) and
        pooled dense (N, D) projections of ``img`` (N, 3, H0, W0).

        The dense map is flattened here: the contrast and the queue take one row per cell."""
        feats = encoder[0](img)
        if len(feats) != 1:
            raise ValueError(
                f'DenseCL needs a single backbone output level, got {len(feats)} '
                '(set e.g. out_indices=(3,) on a ResNet).'
            )
        (glob,), (grid,), (pooled,) = encoder[1](feats)
        return (
            feats[0],
            F.normalize(glob, dim=1),
            F.normalize(grid.flatten(2), dim=1),
            F.normalize(pooled, dim=1),
        )

    @staticmethod
    def _to_grid(feat: Tensor, num_cells: int) -> Tensor:
        """Adaptive-avg-pool (N, C, H, W) to the dense head's grid of ``num_cells`` cells:
        kept if it already has that many, else pooled to the square S x S grid."""
        if feat.size(2) * feat.size(3) == num_cells:
            return feat
        side = math.isqrt(num_cells)
        if side * side != num_cells:
            raise ValueError(
                f'Cannot pool the backbone map {tuple(feat.shape[2:])} to a '
                f'dense grid of {num_cells} cells: it is not a square.'
            )
        return F.adaptive_avg_pool2d(feat, side)

    @torch.no_grad()
    def _correspondence(self, q_b: Tensor, k_b: Tensor, q_grid: Tensor, k_grid: Tensor) -> Tensor:
        """Index (N, S*S) of the key cell matched to each query cell.

        Args:
            q_b, k_b: Query / key backbone maps (N, C, H, W).
            q_grid, k_grid: Query / key dense projections (N, D, S*S).
        """
        num_cells = q_grid.size(2)
        if self.matching == 'backbone':
            return dense_argmax_match(self._to_grid(q_b, num_cells), self._to_grid(k_b, num_cells))
        if self.matching == 'projection':
            # (N, D, S*S, 1): a map whose flattened cells are the grid's.
            return dense_argmax_match(q_grid.unsqueeze(-1), k_grid.unsqueeze(-1))
        return torch.argsort(torch.rand(q_grid.size(0), num_cells, device=q_grid.device), dim=1)

    def loss(
        self, inputs: List[Tensor], data_samples: List[DataSample], **kwargs
    ) -> Dict[str, Tensor]:
        """Losses of one step; updates the key encoder first and the queues last.

        Args:
            inputs: ``[query views (N, 3, H, W), key views (N, 3, H, W)]``.
            data_samples: Unused.

        Returns:
            ``dict(loss_single=(1 - lambda) * L_single, loss_dense=lambda * L_dense)``.
        """
        im_q, im_k = inputs[0], inputs[1]
        check_batch_fits(self.queue_len, im_q.size(0), 'DenseCL')
        q_b, q, q_grid, _ = self._encode(nn.Sequential(self.backbone, self.neck), im_q)

        with torch.no_grad():
            self.encoder_k.update_parameters(nn.Sequential(self.backbone, self.neck))
            # Shuffle-BN across processes; a single process has nothing to shuffle with.
            distributed = get_world_size() > 1
            if distributed:
                im_k, idx_unshuffle = batch_shuffle_ddp(im_k)
            k_b, k, k_grid, k2 = self._encode(self.encoder_k.module, im_k)
            if distributed:
                k_b, k, k_grid, k2 = (
                    batch_unshuffle_ddp(t, idx_unshuffle) for t in (k_b, k, k_grid, k2)
                )
            idx = self._correspondence(q_b, k_b, q_grid, k_grid)
            k_matched = torch.gather(k_grid, 2, idx.unsqueeze(1).expand(-1, k_grid.size(1), -1))

        l_pos = (q * k).sum(dim=1, keepdim=True)  # (N, 1)
        l_neg = q @ self.queue.clone().detach()  # (N, K)
        # Cells are rows, image-major: (N*S*S, 1) and (N*S*S, K).
        l_pos_dense = (q_grid * k_matched).sum(dim=1).reshape(-1, 1)
        l_neg_dense = (
            q_grid.transpose(1, 2).reshape(-1, q_grid.size(1)) @ self.queue2.clone().detach()
        )

        losses = dict(
            loss_single=self.head.loss(l_pos, l_neg) * (1 - self.loss_lambda),
            loss_dense=self.head.loss(l_pos_dense, l_neg_dense) * self.loss_lambda,
        )

        enqueue(self.queue, self.queue_ptr, k)
        enqueue(self.queue2, self.queue2_ptr, k2)
        return losses
