"""Pixel propagation (the PPM of PixPro) without an (N, HW, HW) buffer in the kernels."""

import torch
import torch.nn.functional as F
from torch.autograd import Function

from . import dispatch
from .ext import load_ext


def pixel_propagation_pytorch(
    x: torch.Tensor, value: torch.Tensor, gamma: float = 2.0, clamp_min: float = 0.0
) -> torch.Tensor:
    """Reference of :func:`pixel_propagation` (materialises the similarity).

    The GEMMs run in the inputs' dtype; normalisation, weights and the result are in its
    accumulate type (float32 for half inputs), as in the kernels.
    """
    n, _, h, w = x.shape
    acc = dispatch.accumulate_dtype(x.dtype)
    x_norm = F.normalize(x.flatten(2).to(acc), dim=1).to(x.dtype)  # (N, C, HW)
    sim = torch.bmm(x_norm.transpose(1, 2), x_norm).to(acc)  # sim[i, j] = cos(x_i, x_j)
    sim = sim.clamp(min=clamp_min).pow(gamma).to(x.dtype)
    out = torch.bmm(value.flatten(2), sim.transpose(1, 2))  # out_i = sum_j sim[i, j] v_j
    return out.to(acc).view(n, -1, h, w)


class PixelPropagationFunction(Function):
    """Autograd wrapper of the compiled kernels (tiled over j: O(N*HW*tile) extra memory).

    Inputs of one dtype; the output and gradients are in its accumulate type."""

    @staticmethod
    def forward(
        ctx, x: torch.Tensor, value: torch.Tensor, gamma: float, clamp_min: float, tf32: bool
    ) -> torch.Tensor:
        ctx.gamma, ctx.clamp_min, ctx.tf32 = gamma, clamp_min, tf32
        ctx.save_for_backward(x, value)
        return load_ext().pixel_propagation_forward(x, value, gamma, clamp_min)

    @staticmethod
    def backward(ctx, grad_out: torch.Tensor):
        x, value = ctx.saved_tensors
        with (
            torch.autocast(device_type=x.device.type, enabled=False),
            dispatch.tf32_matmul(ctx.tf32),
        ):
            grad_x, grad_value = load_ext().pixel_propagation_backward(
                grad_out.contiguous(), x, value, ctx.gamma, ctx.clamp_min
            )
        return grad_x.to(x.dtype), grad_value.to(value.dtype), None, None, None


def pixel_propagation(
    x: torch.Tensor,
    value: torch.Tensor,
    gamma: float = 2.0,
    clamp_min: float = 0.0,
    impl: str = 'auto',
    precision: str = 'fp32',
) -> torch.Tensor:
    """``y_i = sum_j max(cos(x_i, x_j), clamp_min) ** gamma * value_j`` over all pixels j.

    PixPro's pixel propagation (no softmax, no row normalisation). ``clamp_min`` must be >= 0
    when ``gamma`` is not an integer (a negative base has no real power).

    Dtypes (docs/en/advanced/ops.md): float64/float32/float16/bfloat16 inputs; under autocast
    the op runs in float32 and returns float32, otherwise it returns the inputs' dtype
    (accumulating in float32 at least); gradients come back in each input's dtype.

    Args:
        x: (N, C, H, W) features that define the similarity.
        value: (N, Cv, H, W) features that are propagated.
        gamma: Sharpness exponent.
        clamp_min: Lower clamp of the cosine similarity.
        impl: ``'auto' | 'pytorch' | 'cpu' | 'cuda'``.
        precision: GEMMs of float32 work: ``'fp32'`` (default, exact), ``'tf32'`` (TF32
            tensor cores on CUDA) or ``'bf16'`` (bfloat16 operands, float32 accumulation);
            opt-in, see the error table in docs/en/benchmarks.md.

    Returns:
        (N, Cv, H, W).
    """
    if (
        x.dim() != 4
        or value.dim() != 4
        or x.shape[0] != value.shape[0]
        or x.shape[2:] != value.shape[2:]
    ):
        raise ValueError(
            'x (N, C, H, W) and value (N, Cv, H, W) must share N, H and W, got '
            f'{tuple(x.shape)} and {tuple(value.shape)}.'
        )
    pixels = x.shape[2] * x.shape[3]
    call = dispatch.plan(
        'pixel_propagation',
        impl,
        (x, value),
        precision,
        pixels=pixels,
        pairs=x.shape[0] * pixels**2,
        grad=dispatch.needs_grad(x, value),
    )
    x_c, value_c = x.to(call.compute_dtype), value.to(call.compute_dtype)
    if call.impl == 'pytorch':
        out = dispatch.run_reference(
            call, lambda a, b: pixel_propagation_pytorch(a, b, gamma, clamp_min), x_c, value_c
        )
    else:
        with call.context(x.device.type):
            out = PixelPropagationFunction.apply(
                x_c.contiguous(), value_c.contiguous(), float(gamma), float(clamp_min), call.tf32
            )
    return out.to(call.out_dtype)
