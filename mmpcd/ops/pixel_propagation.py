"""Pixel propagation (the PPM of PixPro) without an (N, HW, HW) buffer in the kernels."""
import torch
import torch.nn.functional as F
from torch.autograd import Function

from ._ext_loader import load_ext, resolve_impl


def pixel_propagation_pytorch(x: torch.Tensor, value: torch.Tensor, gamma: float = 2.0,
                              clamp_min: float = 0.0) -> torch.Tensor:
    """Reference of :func:`pixel_propagation` (materialises the similarity)."""
    n, _, h, w = x.shape
    x_norm = F.normalize(x.flatten(2), dim=1)  # (N, C, HW)
    sim = torch.bmm(x_norm.transpose(1, 2), x_norm)  # (N, HW, HW), sim[i, j] = cos(x_i, x_j)
    sim = sim.clamp(min=clamp_min).pow(gamma)
    out = torch.bmm(value.flatten(2), sim.transpose(1, 2))  # out_i = sum_j sim[i, j] v_j
    return out.view(n, -1, h, w)


class PixelPropagationFunction(Function):
    """Autograd wrapper of the compiled kernels (tiled over j: O(N*HW*tile) extra memory)."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, value: torch.Tensor, gamma: float,
                clamp_min: float) -> torch.Tensor:
        ctx.gamma, ctx.clamp_min = gamma, clamp_min
        ctx.save_for_backward(x, value)
        return load_ext().pixel_propagation_forward(x, value, gamma, clamp_min)

    @staticmethod
    def backward(ctx, grad_out: torch.Tensor):
        x, value = ctx.saved_tensors
        grad_x, grad_value = load_ext().pixel_propagation_backward(
            grad_out.contiguous(), x, value, ctx.gamma, ctx.clamp_min)
        return grad_x, grad_value, None, None


def pixel_propagation(x: torch.Tensor,
                      value: torch.Tensor,
                      gamma: float = 2.0,
                      clamp_min: float = 0.0,
                      impl: str = 'auto') -> torch.Tensor:
    """``y_i = sum_j max(cos(x_i, x_j), clamp_min) ** gamma * value_j`` over all pixels j.

    PixPro's pixel propagation (no softmax, no row normalisation). ``clamp_min`` must be >= 0
    when ``gamma`` is not an integer (a negative base has no real power).

    Args:
        x: (N, C, H, W) features that define the similarity.
        value: (N, Cv, H, W) features that are propagated.
        gamma: Sharpness exponent.
        clamp_min: Lower clamp of the cosine similarity.
        impl: ``'auto' | 'pytorch' | 'cpu' | 'cuda'``.

    Returns:
        (N, Cv, H, W).
    """
    if x.dim() != 4 or value.dim() != 4 or x.shape[0] != value.shape[0] or \
            x.shape[2:] != value.shape[2:]:
        raise ValueError('x (N, C, H, W) and value (N, Cv, H, W) must share N, H and W, got '
                         f'{tuple(x.shape)} and {tuple(value.shape)}.')
    if resolve_impl(impl, 'pixel_propagation', x) == 'pytorch':
        return pixel_propagation_pytorch(x, value, gamma, clamp_min)
    value = value.to(x.dtype)
    return PixelPropagationFunction.apply(x.contiguous(), value.contiguous(), float(gamma),
                                          float(clamp_min))
