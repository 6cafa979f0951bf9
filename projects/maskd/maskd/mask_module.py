"""Receptive tokens: per-pixel masks from learnable embeddings, their importance weights and
the Dice diversity loss (MasKD, Huang et al., ICLR 2023)."""

import math
from typing import Tuple

import torch
import torch.nn as nn
from torch import Tensor

from mmpcd.ops import upcast_half


def dice_coefficient(masks: Tensor, eps: float = 1e-12) -> Tensor:
    """Mean pairwise Dice coefficient between the masks of different tokens.

    ``d_ij = 2 sum_p M_i M_j / (sum_p M_i^2 + sum_p M_j^2 + 2 eps)``, averaged over the
    ``N * T * (T - 1)`` off-diagonal pairs. MasKD minimises this coefficient directly (not
    ``1 - Dice``), pushing the masks of different tokens apart.

    Args:
        masks: Masks (N, T, H, W) or (N, T, HW); T >= 2.
        eps: Added twice to the denominator, as the official code.

    Returns:
        Tensor: Scalar in [0, 1], float32 for half masks (computed in float32 under autocast).
    """
    if masks.dim() < 3 or masks.size(1) < 2:
        raise ValueError(
            f'dice_coefficient needs masks (N, T, ...) with T >= 2 tokens; got '
            f'shape {tuple(masks.shape)}.'
        )
    # fp32 with autocast off: sums over all pixels, and eps = 1e-12 vanishes in float16.
    with torch.autocast(device_type=masks.device.type, enabled=False):
        flat = upcast_half(masks.flatten(2))
        inter = torch.bmm(flat, flat.transpose(1, 2))  # (N, T, T): sum_p M_i M_j
        sq = torch.diagonal(inter, dim1=1, dim2=2)  # (N, T): sum_p M_i^2
        dice = 2 * inter / (sq[:, :, None] + sq[:, None, :] + 2 * eps)
        num_tokens = masks.size(1)
        off_diag = 1 - torch.eye(num_tokens, device=masks.device, dtype=flat.dtype)
        return (dice * off_diag).sum() / (masks.size(0) * num_tokens * (num_tokens - 1))


class MaskModule(nn.Module):
    """The receptive tokens of one feature level, with their optional weighting branch.

    Parameter names follow the official checkpoints (``mask_token`` (T, C), ``prob.0`` a
    3x3 conv C->C, ``prob.2`` a 1x1 conv C->T, index 1 the parameter-free pooling) so that
    released tokens load unchanged.

    Args:
        channels: C, channels of the feature the tokens attend to.
        num_tokens: T. Defaults to 6 (the official detection setting).
        weight_mask: Build the weighting branch ``prob`` (Conv3x3 -> GAP -> Conv1x1, no
            activation) giving per-image token weights. Defaults to True.
    """

    def __init__(self, channels: int, num_tokens: int = 6, weight_mask: bool = True) -> None:
        super().__init__()
        if channels < 1 or num_tokens < 1:
            raise ValueError(
                f'MaskModule needs channels >= 1 and num_tokens >= 1; got '
                f'channels={channels}, num_tokens={num_tokens}.'
            )
        self.channels = channels
        self.num_tokens = num_tokens
        self.weight_mask = weight_mask
        self.mask_token = nn.Parameter(torch.empty(num_tokens, channels).normal_(0, 0.01))
        if weight_mask:
            self.prob = nn.Sequential(
                nn.Conv2d(channels, channels, 3, padding=1),
                nn.AdaptiveAvgPool2d(1),
                nn.Conv2d(channels, num_tokens, 1),
            )
            for conv in (self.prob[0], self.prob[2]):
                # He init with fan_out = k * k * out_channels, zero bias (official).
                fan_out = conv.kernel_size[0] * conv.kernel_size[1] * conv.out_channels
                nn.init.normal_(conv.weight, 0, math.sqrt(2.0 / fan_out))
                nn.init.zeros_(conv.bias)

    def _check(self, feat: Tensor) -> None:
        if feat.dim() != 4 or feat.size(1) != self.channels:
            raise ValueError(
                f'MaskModule with {self.channels} channels expects a feature '
                f'(N, {self.channels}, H, W); got shape {tuple(feat.shape)}.'
            )

    def forward_mask(self, feat: Tensor) -> Tensor:
        """``sigmoid(E . F)`` per pixel, no scaling: (N, C, H, W) -> masks (N, T, H, W)."""
        self._check(feat)
        return torch.einsum('tc,nchw->nthw', self.mask_token, feat).sigmoid()

    def forward_prob(self, feat: Tensor) -> Tensor:
        """Token weights, a softmax over T per image: (N, C, H, W) -> (N, T)."""
        if not self.weight_mask:
            raise RuntimeError(
                'forward_prob needs the weighting branch: build the MaskModule '
                'with weight_mask=True.'
            )
        self._check(feat)
        return self.prob(feat).flatten(1).softmax(dim=1)

    def forward_train(self, feat: Tensor) -> Tuple[Tensor, Tensor]:
        """The masked mixture fed to the teacher's heads in stage 1, and the Dice loss.

        Args:
            feat: Feature (N, C, H, W).

        Returns:
            tuple: ``sum_t p_t * M_t * F`` (N, C, H, W) (``p_t = 1`` without the
            weighting branch) and the Dice coefficient of the masks (scalar).
        """
        masks = self.forward_mask(feat)
        if self.weight_mask:
            masks_weighted = masks * self.forward_prob(feat)[:, :, None, None]
        else:
            masks_weighted = masks
        # sum_t p_t M_t F = F * sum_t p_t M_t: no (N, T, C, H, W) tensor.
        mixed = feat * masks_weighted.sum(dim=1, keepdim=True)
        return mixed, dice_coefficient(masks)
