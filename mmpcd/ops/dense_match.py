"""DenseCL's feature correspondence: for each query pixel, the most similar key pixel."""

import torch
import torch.nn.functional as F

from . import dispatch
from .ext import load_ext


def dense_argmax_match_pytorch(feat_q: torch.Tensor, feat_k: torch.Tensor) -> torch.Tensor:
    """Reference of :func:`dense_argmax_match` (materialises the similarity); the GEMM runs in
    the inputs' dtype, the normalisation in its accumulate type."""
    acc = dispatch.accumulate_dtype(feat_q.dtype)
    q = F.normalize(feat_q.flatten(2).to(acc), dim=1).to(feat_q.dtype)
    k = F.normalize(feat_k.flatten(2).to(acc), dim=1).to(feat_k.dtype)
    return torch.bmm(q.transpose(1, 2), k).argmax(dim=2)


@torch.no_grad()
def dense_argmax_match(
    feat_q: torch.Tensor, feat_k: torch.Tensor, impl: str = 'auto', precision: str = 'fp32'
) -> torch.Tensor:
    """Index of the key pixel with the highest cosine similarity to each query pixel.

    Dtypes: float64/float32/float16/bfloat16 inputs; under autocast the similarity is computed
    in float32; half inputs outside autocast follow ``mmpcd.ops.dispatch.HALF_INPUTS``.

    Args:
        feat_q: (N, C, Hq, Wq) query features.
        feat_k: (N, C, Hk, Wk) key features.
        impl: ``'auto' | 'pytorch' | 'cpu' | 'cuda'``.
        precision: GEMM of float32 work: ``'fp32'`` (default), ``'tf32'`` or ``'bf16'``
            (tensor cores, opt-in; near-ties may then pick another pixel).

    Returns:
        (N, Hq*Wq) int64 indices into the flattened key map (no gradient).
    """
    if feat_q.dim() != 4 or feat_k.dim() != 4 or feat_q.shape[:2] != feat_k.shape[:2]:
        raise ValueError(
            'feat_q (N, C, Hq, Wq) and feat_k (N, C, Hk, Wk) must share N and C, '
            f'got {tuple(feat_q.shape)} and {tuple(feat_k.shape)}.'
        )
    len_q, len_k = feat_q.shape[2] * feat_q.shape[3], feat_k.shape[2] * feat_k.shape[3]
    call = dispatch.plan(
        'dense_argmax_match',
        impl,
        (feat_q, feat_k),
        precision,
        pixels=max(len_q, len_k),
        pairs=feat_q.shape[0] * len_q * len_k,
    )
    q, k = feat_q.to(call.compute_dtype), feat_k.to(call.compute_dtype)
    with call.context(feat_q.device.type):
        if call.impl == 'pytorch':
            return dense_argmax_match_pytorch(q, k)
        return load_ext().dense_argmax_match(q.contiguous(), k.contiguous())
