"""MHSA: a plug-in multi-head self-attention over the pixels of a feature map (PCD).

The PCD paper adds "a plug-in multi-head self-attention module that explicitly relates the
pixels of student's feature maps to enhance the effective receptive field" but specifies no
heads, depth, position encoding or FFN, and the released code has no such module. The design
here is a choice, with every open point exposed as a knob for the ablation:

- ``num_layers`` pre-norm transformer-encoder blocks on the H*W tokens of the map, with
  ``embed_dim = C`` (512 for ResNet-18), ``x = x + Attn(LN(x))`` then, if ``ffn_ratio > 0``,
  ``x = x + FFN(LN(x))`` (Linear-GELU-Linear): residual, so the block refines the map.
- position encoding added to queries and keys only (values stay position-free, DETR-style):
  ``'sincos'`` (fixed 2-D sine-cosine, the default), or, for the ablation only, ``'learned'``
  (a learned table for ``feat_size``, bicubically resized for other sizes), ``'relative'`` (a
  learned bias per head and 2-D offset added to the attention logits, Swin/BoTNet-style; maps
  up to ``feat_size``) or ``'none'``.

Shape-preserving: (N, C, H, W) -> (N, C, H, W). It belongs to the distillation-time neck, never
to the backbone, so extracted/exported backbones do not contain it.
"""

from typing import List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmpretrain.models.utils import build_2d_sincos_position_embedding
from torch import Tensor

from mmpcd.registry import MODELS

POS_ENCODINGS = ('none', 'sincos', 'learned', 'relative')


def sincos_position(height: int, width: int, dim: int) -> Tensor:
    """Fixed 2-D sine-cosine position code (H*W, dim) of a row-major token grid: the first
    half of the channels encodes y, the second x, each as ``[sin, cos]`` over dim/4
    frequencies (temperature 10000); mmpretrain's ``build_2d_sincos_position_embedding``.

    That function's first index is the slow one of its token order, so a row-major (H, W)
    grid is its ``(W, H)``.
    """
    return build_2d_sincos_position_embedding((width, height), dim)[0]


class _AttentionBlock(nn.Module):
    """One pre-norm block: tokens (N, L, C) -> (N, L, C)."""

    def __init__(
        self,
        dim: int,
        num_heads: int,
        ffn_ratio: float,
        pos_encoding: str,
        feat_size: Tuple[int, int],
    ) -> None:
        super().__init__()
        self.num_heads = num_heads
        self.pos_encoding = pos_encoding
        self.feat_size = feat_size
        self.norm1 = nn.LayerNorm(dim)
        self.qkv = nn.Linear(dim, dim * 3)
        self.proj = nn.Linear(dim, dim)
        if pos_encoding == 'learned':
            self.pos_embed = nn.Parameter(torch.zeros(1, dim, *feat_size))
            nn.init.trunc_normal_(self.pos_embed, std=0.02)
        elif pos_encoding == 'relative':
            height, width = feat_size
            self.rel_pos_bias = nn.Parameter(torch.zeros(num_heads, 2 * height - 1, 2 * width - 1))
            nn.init.trunc_normal_(self.rel_pos_bias, std=0.02)
        self.ffn: Optional[nn.Module] = None
        if ffn_ratio > 0:
            hidden = int(round(dim * ffn_ratio))
            self.norm2 = nn.LayerNorm(dim)
            self.ffn = nn.Sequential(nn.Linear(dim, hidden), nn.GELU(), nn.Linear(hidden, dim))

    def _position(self, height: int, width: int, like: Tensor) -> Optional[Tensor]:
        """Absolute code (L, C) added to queries and keys, or None."""
        if self.pos_encoding == 'sincos':
            return sincos_position(height, width, like.size(-1)).to(like)
        if self.pos_encoding == 'learned':
            pos = self.pos_embed
            if (height, width) != tuple(pos.shape[2:]):
                pos = F.interpolate(pos, size=(height, width), mode='bicubic', align_corners=False)
            return pos.flatten(2)[0].t()
        return None

    def _relative_bias(self, height: int, width: int) -> Tensor:
        """Attention-logit bias (heads, L, L) of the 2-D offsets between tokens."""
        max_h, max_w = self.feat_size
        if height > max_h or width > max_w:
            raise ValueError(
                f'MHSA relative position bias covers maps up to {self.feat_size}, '
                f'got ({height}, {width}); raise feat_size.'
            )
        y, x = torch.meshgrid(torch.arange(height), torch.arange(width), indexing='ij')
        y, x = y.flatten(), x.flatten()
        dy = (y[:, None] - y[None, :]) + max_h - 1
        dx = (x[:, None] - x[None, :]) + max_w - 1
        return self.rel_pos_bias[
            :, dy.to(self.rel_pos_bias.device), dx.to(self.rel_pos_bias.device)
        ]

    def forward(self, x: Tensor, height: int, width: int) -> Tensor:
        batch, length, dim = x.shape
        head_dim = dim // self.num_heads
        h = self.norm1(x)
        q, k, v = self.qkv(h).chunk(3, dim=-1)
        pos = self._position(height, width, h)
        if pos is not None:
            # Position on queries and keys through their projections: W(h + p) = Wh + Wp.
            pos_q, pos_k, _ = F.linear(pos, self.qkv.weight).chunk(3, dim=-1)
            q, k = q + pos_q, k + pos_k
        q, k, v = (
            t.reshape(batch, length, self.num_heads, head_dim).transpose(1, 2) for t in (q, k, v)
        )
        bias = (
            self._relative_bias(height, width).to(q.dtype)[None]
            if self.pos_encoding == 'relative'
            else None
        )
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=bias)
        x = x + self.proj(out.transpose(1, 2).reshape(batch, length, dim))
        if self.ffn is not None:
            x = x + self.ffn(self.norm2(x))
        return x


@MODELS.register_module()
class MHSA(BaseModule):
    """Multi-head self-attention over the pixels of a map; see the module docstring.

    Args:
        in_channels: Channels C of the map (the embedding dimension).
        num_heads: Attention heads; must divide C. Defaults to 8.
        num_layers: Stacked blocks. Defaults to 1.
        pos_encoding: ``'sincos'`` (default); ``'none' | 'learned' | 'relative'`` are
            ablation-only options.
        ffn_ratio: Hidden width of the FFN as a multiple of C; 0 disables it. Defaults to 4.
        feat_size: ``(H, W)`` of the learned table (``'learned'``) or the largest map
            (``'relative'``); 7 x 7 = a stride-32 map of a 224 px input. Defaults to 7.
        init_cfg: Initialisation config. Defaults to None.

    Input: one (N, C, H, W) map or a backbone's 1-tuple of it. Output: (N, C, H, W).
    """

    def __init__(
        self,
        in_channels: int,
        num_heads: int = 8,
        num_layers: int = 1,
        pos_encoding: str = 'sincos',
        ffn_ratio: float = 4.0,
        feat_size: Union[int, Sequence[int]] = 7,
        init_cfg: Union[dict, List[dict], None] = None,
    ) -> None:
        super().__init__(init_cfg)
        if pos_encoding not in POS_ENCODINGS:
            raise ValueError(
                f'Unknown MHSA pos_encoding {pos_encoding!r}; expected one of {POS_ENCODINGS}.'
            )
        if num_heads < 1 or in_channels % num_heads != 0:
            raise ValueError(
                f'MHSA num_heads ({num_heads}) must divide in_channels ({in_channels}).'
            )
        if num_layers < 1:
            raise ValueError(f'MHSA num_layers must be >= 1, got {num_layers}.')
        size = (feat_size, feat_size) if isinstance(feat_size, int) else tuple(feat_size)
        if pos_encoding == 'sincos' and in_channels % 4 != 0:
            raise ValueError(
                f'sincos position encoding needs a channel count divisible by 4, '
                f'got {in_channels}; use pos_encoding="learned" or "relative".'
            )
        self.blocks = nn.ModuleList(
            _AttentionBlock(in_channels, num_heads, ffn_ratio, pos_encoding, size)
            for _ in range(num_layers)
        )

    def forward(self, x: Union[Tensor, Sequence[Tensor]]) -> Tensor:
        if not isinstance(x, Tensor):
            if len(x) != 1:
                raise ValueError(f'MHSA takes a single map, got {len(x)} levels.')
            x = x[0]
        batch, channels, height, width = x.shape
        tokens = x.flatten(2).transpose(1, 2)  # (N, H*W, C)
        for block in self.blocks:
            tokens = block(tokens, height, width)
        return tokens.transpose(1, 2).reshape(batch, channels, height, width)
