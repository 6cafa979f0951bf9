"""Mean cosine over PixPro's geometric positive pairs, fused with the mask computation."""

import torch
import torch.nn.functional as F
from torch.autograd import Function

from . import dispatch
from .coord import check_coord, coord_positive_mask
from .ext import load_ext

# Added to the number of positive pairs, as in PixPro: images without positives give 0.
COUNT_EPS = 1e-6


def masked_pair_cosine_pytorch(
    pred: torch.Tensor,
    target: torch.Tensor,
    coord_q: torch.Tensor,
    coord_k: torch.Tensor,
    pos_ratio: float = 0.7,
) -> torch.Tensor:
    """Reference of :func:`masked_pair_cosine` (materialises (N, HWq, HWk)); the GEMM runs in
    the inputs' dtype, the rest in its accumulate type (the boxes too)."""
    acc = dispatch.accumulate_dtype(pred.dtype)
    p = F.normalize(pred.flatten(2).to(acc), dim=1).to(pred.dtype)
    t = F.normalize(target.flatten(2).to(acc), dim=1).to(target.dtype)
    cosine = torch.bmm(p.transpose(1, 2), t).to(acc)
    mask = coord_positive_mask(
        coord_q.to(acc),
        coord_k.to(acc),
        pred.shape[2:],
        target.shape[2:],
        pos_ratio,
        impl='pytorch',
    ).to(acc)
    return (cosine * mask).sum(dim=(1, 2)) / (mask.sum(dim=(1, 2)) + COUNT_EPS)


def _normalize_channels_last(feat: torch.Tensor):
    """(N, C, H, W) -> unit vectors (N, HW, C) contiguous in the accumulate type, plus the
    norms (N, HW, 1)."""
    flat = feat.flatten(2).transpose(1, 2).to(dispatch.accumulate_dtype(feat.dtype))
    norm = flat.norm(dim=2, keepdim=True).clamp_min(1e-12)  # F.normalize's eps
    return (flat / norm).contiguous(), norm


def _normalize_backward(
    grad_unit: torch.Tensor, unit: torch.Tensor, norm: torch.Tensor, shape: torch.Size
) -> torch.Tensor:
    """Gradient through ``x / max(|x|, eps)`` given the gradient of the unit vectors."""
    radial = (grad_unit * unit).sum(dim=2, keepdim=True)
    grad_flat = (grad_unit - unit * radial) / norm
    return grad_flat.transpose(1, 2).reshape(shape)


class MaskedPairCosineFunction(Function):
    """Autograd wrapper of the fused kernels (no (N, HW, HW) buffer). The kernels read the
    unit vectors in the features' dtype; sums, result and gradients are in its accumulate
    type."""

    @staticmethod
    def forward(ctx, pred, target, coord_q, coord_k, pos_ratio):
        (hq, wq), (hk, wk) = pred.shape[2:], target.shape[2:]
        p, p_norm = _normalize_channels_last(pred)
        t, t_norm = _normalize_channels_last(target)
        coord_q = coord_q.to(p.dtype).contiguous()
        coord_k = coord_k.to(p.dtype).contiguous()
        p_in, t_in = p.to(pred.dtype), t.to(pred.dtype)
        total, count, pair_sum_t = load_ext().masked_pair_cosine_forward(
            p_in, t_in, coord_q, coord_k, hq, wq, hk, wk, pos_ratio
        )
        ctx.save_for_backward(p, p_norm, t, t_norm, coord_q, coord_k, count, pair_sum_t)
        ctx.dtype = pred.dtype
        ctx.pos_ratio = pos_ratio
        ctx.shapes = (pred.shape, target.shape)
        return total / (count + COUNT_EPS)

    @staticmethod
    def backward(ctx, grad_out):
        p, p_norm, t, t_norm, coord_q, coord_k, count, pair_sum_t = ctx.saved_tensors
        pred_shape, target_shape = ctx.shapes
        scale = (grad_out / (count + COUNT_EPS)).contiguous()
        grad_p, grad_t = load_ext().masked_pair_cosine_backward(
            scale,
            pair_sum_t,
            p.to(ctx.dtype),
            t.to(ctx.dtype),
            coord_q,
            coord_k,
            *pred_shape[2:],
            *target_shape[2:],
            ctx.pos_ratio,
        )
        return (
            _normalize_backward(grad_p, p, p_norm, pred_shape).to(ctx.dtype),
            _normalize_backward(grad_t, t, t_norm, target_shape).to(ctx.dtype),
            None,
            None,
            None,
        )


def masked_pair_cosine(
    pred: torch.Tensor,
    target: torch.Tensor,
    coord_q: torch.Tensor,
    coord_k: torch.Tensor,
    pos_ratio: float = 0.7,
    impl: str = 'auto',
) -> torch.Tensor:
    """Per-image mean cosine similarity of ``pred`` and ``target`` over geometric positives.

    ``L_n = sum_ij cos(pred_i, target_j) A_ij / (sum_ij A_ij + 1e-6)`` with ``A`` from
    :func:`coord_positive_mask`: PixPro's consistency term before its ``-2`` scaling.

    Dtypes: float64/float32/float16/bfloat16 features (the boxes are used in float32 at
    least); under autocast it runs in float32 and returns float32, otherwise it returns the
    features' dtype.

    Args:
        pred: (N, C, Hq, Wq) features of view q (e.g. the PPM output).
        target: (N, C, Hk, Wk) features of view k (e.g. the momentum projector output).
        coord_q, coord_k: (N, 4) crop boxes of the two views (cast to the features' dtype).
        pos_ratio: Distance threshold in cell diagonals.
        impl: ``'auto' | 'pytorch' | 'cpu' | 'cuda'``.

    Returns:
        (N,) mean cosine per image; 0 for images whose views share no positive pair.
    """
    if pred.dim() != 4 or target.dim() != 4 or pred.shape[:2] != target.shape[:2]:
        raise ValueError(
            'pred (N, C, Hq, Wq) and target (N, C, Hk, Wk) must share N and C, got '
            f'{tuple(pred.shape)} and {tuple(target.shape)}.'
        )
    check_coord(coord_q, 'coord_q')
    check_coord(coord_k, 'coord_k')
    len_q, len_k = pred.shape[2] * pred.shape[3], target.shape[2] * target.shape[3]
    call = dispatch.plan(
        'masked_pair_cosine',
        impl,
        (pred, target),
        pixels=max(len_q, len_k),
        pairs=pred.shape[0] * len_q * len_k,
        grad=dispatch.needs_grad(pred, target),
    )
    pred_c, target_c = pred.to(call.compute_dtype), target.to(call.compute_dtype)
    with call.context(pred.device.type):
        if call.impl == 'pytorch':
            out = masked_pair_cosine_pytorch(pred_c, target_c, coord_q, coord_k, pos_ratio)
        else:
            out = MaskedPairCosineFunction.apply(
                pred_c, target_c, coord_q, coord_k, float(pos_ratio)
            )
    return out.to(call.out_dtype)
