"""Mean cosine over PixPro's geometric positive pairs, fused with the mask computation."""
import torch
import torch.nn.functional as F
from torch.autograd import Function

from ._ext_loader import load_ext, resolve_impl
from .coord import check_coord, coord_positive_mask

# Added to the number of positive pairs, as in PixPro: images without positives give 0.
COUNT_EPS = 1e-6


def masked_pair_cosine_pytorch(pred: torch.Tensor, target: torch.Tensor, coord_q: torch.Tensor,
                               coord_k: torch.Tensor, pos_ratio: float = 0.7) -> torch.Tensor:
    """Reference of :func:`masked_pair_cosine` (materialises (N, HWq, HWk))."""
    p = F.normalize(pred.flatten(2), dim=1)
    t = F.normalize(target.flatten(2), dim=1)
    cosine = torch.bmm(p.transpose(1, 2), t)
    mask = coord_positive_mask(
        coord_q.to(pred.dtype), coord_k.to(pred.dtype), pred.shape[2:], target.shape[2:],
        pos_ratio, impl='pytorch').to(pred.dtype)
    return (cosine * mask).sum(dim=(1, 2)) / (mask.sum(dim=(1, 2)) + COUNT_EPS)


def _normalize_channels_last(feat: torch.Tensor):
    """(N, C, H, W) -> unit vectors (N, HW, C) contiguous, plus the norms (N, HW, 1)."""
    flat = feat.flatten(2).transpose(1, 2)
    norm = flat.norm(dim=2, keepdim=True).clamp_min(1e-12)  # F.normalize's eps
    return (flat / norm).contiguous(), norm


def _normalize_backward(grad_unit: torch.Tensor, unit: torch.Tensor, norm: torch.Tensor,
                        shape: torch.Size) -> torch.Tensor:
    """Gradient through ``x / max(|x|, eps)`` given the gradient of the unit vectors."""
    radial = (grad_unit * unit).sum(dim=2, keepdim=True)
    grad_flat = (grad_unit - unit * radial) / norm
    return grad_flat.transpose(1, 2).reshape(shape)


class MaskedPairCosineFunction(Function):
    """Autograd wrapper of the fused kernels (no (N, HW, HW) buffer)."""

    @staticmethod
    def forward(ctx, pred, target, coord_q, coord_k, pos_ratio):
        (hq, wq), (hk, wk) = pred.shape[2:], target.shape[2:]
        p, p_norm = _normalize_channels_last(pred)
        t, t_norm = _normalize_channels_last(target)
        coord_q = coord_q.to(pred.dtype).contiguous()
        coord_k = coord_k.to(pred.dtype).contiguous()
        total, count, pair_sum_t = load_ext().masked_pair_cosine_forward(
            p, t, coord_q, coord_k, hq, wq, hk, wk, pos_ratio)
        ctx.save_for_backward(p, p_norm, t, t_norm, coord_q, coord_k, count, pair_sum_t)
        ctx.pos_ratio = pos_ratio
        ctx.shapes = (pred.shape, target.shape)
        return total / (count + COUNT_EPS)

    @staticmethod
    def backward(ctx, grad_out):
        p, p_norm, t, t_norm, coord_q, coord_k, count, pair_sum_t = ctx.saved_tensors
        pred_shape, target_shape = ctx.shapes
        scale = (grad_out / (count + COUNT_EPS)).contiguous()
        grad_p, grad_t = load_ext().masked_pair_cosine_backward(
            scale, pair_sum_t, p, t, coord_q, coord_k, *pred_shape[2:], *target_shape[2:],
            ctx.pos_ratio)
        return (_normalize_backward(grad_p, p, p_norm, pred_shape),
                _normalize_backward(grad_t, t, t_norm, target_shape), None, None, None)


def masked_pair_cosine(pred: torch.Tensor,
                       target: torch.Tensor,
                       coord_q: torch.Tensor,
                       coord_k: torch.Tensor,
                       pos_ratio: float = 0.7,
                       impl: str = 'auto') -> torch.Tensor:
    """Per-image mean cosine similarity of ``pred`` and ``target`` over geometric positives.

    ``L_n = sum_ij cos(pred_i, target_j) A_ij / (sum_ij A_ij + 1e-6)`` with ``A`` from
    :func:`coord_positive_mask`: PixPro's consistency term before its ``-2`` scaling.

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
        raise ValueError('pred (N, C, Hq, Wq) and target (N, C, Hk, Wk) must share N and C, got '
                         f'{tuple(pred.shape)} and {tuple(target.shape)}.')
    check_coord(coord_q, 'coord_q')
    check_coord(coord_k, 'coord_k')
    if resolve_impl(impl, 'masked_pair_cosine', pred) == 'pytorch':
        return masked_pair_cosine_pytorch(pred, target, coord_q, coord_k, pos_ratio)
    return MaskedPairCosineFunction.apply(pred, target.to(pred.dtype), coord_q, coord_k,
                                          float(pos_ratio))
