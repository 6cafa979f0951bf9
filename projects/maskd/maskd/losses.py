"""The MasKD distillation loss: per-token masked feature reconstruction."""

import logging
from typing import Dict, Optional, Sequence

import torch
import torch.nn as nn
from mmengine.logging import print_log
from torch import Tensor

from mmpcd.ops import upcast_half
from mmpcd.registry import MODELS

from .mask_module import MaskModule
from .tokens import PREFIX, build_mask_modules, check_tokens, load_tokens
from .utils import RANDOM, fetch_checkpoint


def maskd_level_loss(
    mask_module: MaskModule,
    feat_s: Tensor,
    feat_t: Tensor,
    weight_mask: bool = True,
    custom_mask: bool = False,
    eps: float = 0.0,
) -> Tensor:
    """MasKD loss of one level, without any (N, T, C, H, W) tensor.

    With teacher masks ``M = sigmoid(E . F_T)`` (N, T, H, W), optionally customised as
    ``M * sigmoid(E . F_S)`` (student part without gradient), the per (n, t, c) loss is
    ``sum_hw M^2 (F_S - F_T)^2 / (sum_hw M + eps)``. With ``weight_mask`` it is averaged
    over C, weighted by ``softmax(prob(F_T))`` over T, summed over T and averaged over N;
    otherwise averaged over N, T and C.

    Args:
        mask_module: Frozen tokens of this level.
        feat_s: Student feature, already aligned, (N, C, H, W).
        feat_t: Teacher feature (N, C, H, W).
        weight_mask: Weight the tokens with the weighting branch.
        custom_mask: Multiply the teacher masks by the student's (no gradient).
        eps: Added to ``sum_hw M`` (0 in the official detection code, 1e-5 in the
            segmentation code).

    Returns:
        Tensor: Scalar loss (float32 at least, computed with autocast off); gradients reach
        ``feat_s`` only.
    """
    if feat_s.shape != feat_t.shape:
        raise ValueError(
            f'Student and teacher features must have the same shape; got '
            f'{tuple(feat_s.shape)} and {tuple(feat_t.shape)}: align the '
            f'student (1x1 aligners) or record matching levels.'
        )
    # MasKD's fp32 place: sums of squared differences over every pixel overflow float16.
    with torch.autocast(device_type=feat_s.device.type, enabled=False):
        feat_s, feat_t = upcast_half(feat_s), upcast_half(feat_t.detach())
        with torch.no_grad():
            masks = mask_module.forward_mask(feat_t)
            if custom_mask:
                masks = masks * mask_module.forward_mask(feat_s.detach())
            weights = mask_module.forward_prob(feat_t) if weight_mask else None
        sq_diff = (feat_s - feat_t).pow(2)
        # sum_hw M^2 (S - T)^2 as a batched (T, HW) x (HW, C) product.
        num = torch.einsum('nthw,nchw->ntc', masks.pow(2), sq_diff)
        per_token = num / (masks.sum(dim=(2, 3))[:, :, None] + eps)  # (N, T, C)
        if weights is None:
            return per_token.mean()
        return (per_token.mean(dim=2) * weights).sum(dim=1).mean()


@MODELS.register_module()
class MasKDLoss(nn.Module):
    """MasKD over several feature levels with frozen receptive tokens.

    The level losses are summed (official) and scaled by ``loss_weight``. The tokens are
    read when training starts (:meth:`load_tokens`, called by :class:`MasKDDistiller`'s
    ``init_weights``) or at their first use, never at build, and frozen
    (``requires_grad=False``); the iteration counter for the customised masks is a buffer, so
    a resumed run continues the warm-up exactly.

    Args:
        tokens: Token file (stage-1 output, converted or official checkpoint): a path, a URL
            (through mmpcd's verified cache) or a zoo name.
        channels: Channels of each level (the teacher's), to check the tokens against (e.g.
            ``[256] * 5``).
        weight_mask: Weight tokens with their weighting branch (detection: True).
        custom_mask: Use customised masks after ``custom_mask_warmup`` iterations.
        custom_mask_warmup: Iterations (calls of :meth:`step`) before customising.
        loss_weight: Scale of the summed loss (official: 1, 7 or 10 for detection; 0.5 for
            segmentation).
        eps: See :func:`maskd_level_loss`.
        tokens_trust: Read ``tokens`` with full unpickling (only for a file you trust that
            the weights-only reader refuses).
    """

    def __init__(
        self,
        tokens: Optional[str],
        channels: Sequence[int],
        weight_mask: bool = True,
        custom_mask: bool = True,
        custom_mask_warmup: int = 0,
        loss_weight: float = 1.0,
        eps: float = 0.0,
        tokens_trust: bool = False,
    ) -> None:
        super().__init__()
        self.tokens = tokens
        self.tokens_trust = tokens_trust
        self.channels = list(channels)
        self.weight_mask = weight_mask
        self.custom_mask = custom_mask
        self.custom_mask_warmup = custom_mask_warmup
        self.loss_weight = loss_weight
        self.eps = eps
        self._token_info: Optional[Dict[str, object]] = None
        self.register_buffer('num_iters', torch.zeros((), dtype=torch.long))

    def load_tokens(self) -> None:
        """Read and check the token file, once; the frozen tokens go to this module's
        device."""
        if self._token_info is not None:
            return
        if self.tokens is None:
            raise ValueError(
                'model.maskd_loss.tokens is not set: name the stage-1 token file '
                '(<stage-1 work dir>/maskd_tokens.pth, or a converted release), '
                'e.g. --cfg-options model.maskd_loss.tokens=PATH.'
            )
        if self.tokens == RANDOM:
            state = self._random_tokens()
        else:
            path = fetch_checkpoint(self.tokens, 'model.maskd_loss.tokens', self.tokens_trust)
            state = load_tokens(
                path, self.tokens_trust, switch='model.maskd_loss.tokens_trust=True'
            )
        info = check_tokens(state, self.channels)
        if self.weight_mask and not info['weight_mask']:
            raise ValueError(
                f'weight_mask=True but {self.tokens} has no weighting branch '
                f'(prob.*); set weight_mask=False.'
            )
        modules = build_mask_modules(state).to(self.num_iters.device)
        modules.requires_grad_(False)
        self.mask_modules = modules  # nn.Module.__setattr__ files it under _modules
        self._token_info = info

    def _random_tokens(self) -> Dict[str, torch.Tensor]:
        """Freshly initialised tokens (6 per level with the weighting branch, else 8: the
        official counts), for smoke tests only."""
        print_log(
            'MasKDLoss: RANDOM tokens (tokens=\'random\'): only for smoke tests.',
            logger='current',
            level=logging.WARNING,
        )
        num_tokens = 6 if self.weight_mask else 8
        modules = nn.ModuleList(MaskModule(c, num_tokens, self.weight_mask) for c in self.channels)
        return {PREFIX + k: v for k, v in modules.state_dict().items()}

    @property
    def mask_modules(self) -> nn.ModuleList:
        """The frozen tokens, one :class:`MaskModule` per level (read on first access)."""
        self.load_tokens()
        return self._modules['mask_modules']

    @property
    def token_info(self) -> Dict[str, object]:
        """:func:`describe_tokens` of the token file (read on first access)."""
        self.load_tokens()
        return self._token_info

    @property
    def custom_mask_active(self) -> bool:
        return self.custom_mask and int(self.num_iters) >= self.custom_mask_warmup

    def step(self) -> None:
        """Count one training iteration (the official ``_iter += 1``)."""
        self.num_iters += 1

    def forward(self, feats_s: Sequence[Tensor], feats_t: Sequence[Tensor]) -> Tensor:
        """Summed MasKD loss of all levels times ``loss_weight``.

        Args:
            feats_s: Aligned student features, one (N, C_l, H_l, W_l) per level.
            feats_t: Teacher features, same shapes.
        """
        if not len(feats_s) == len(feats_t) == len(self.mask_modules):
            raise ValueError(
                f'MasKDLoss has tokens for {len(self.mask_modules)} level(s) but '
                f'got {len(feats_s)} student and {len(feats_t)} teacher '
                f'level(s).'
            )
        custom = self.custom_mask_active
        total = sum(
            maskd_level_loss(module, s, t, self.weight_mask, custom, self.eps)
            for module, s, t in zip(self.mask_modules, feats_s, feats_t)
        )
        return total * self.loss_weight
