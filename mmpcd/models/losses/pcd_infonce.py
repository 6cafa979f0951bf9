"""Per-pixel InfoNCE of PCD against a queue of image-level negatives, in bounded memory."""

from typing import Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor

# Rows per chunk are chosen so that one chunk's (rows, K) logits hold about this many floats
# (64 MB in fp32): the forward and backward each keep about two such buffers alive.
CHUNK_ELEMENTS = 2**24


def _flatten_pixels(x: Tensor) -> Tensor:
    """(N, D, H, W) -> L2-normalised (N*H*W, D), image-major (the reference's row order)."""
    return F.normalize(x.flatten(2), dim=1).transpose(1, 2).reshape(-1, x.size(1))


class _ChunkedInfoNCE(torch.autograd.Function):
    """Mean cross-entropy of logits ``[<s, t> | s Q] / T`` with label 0, computed ``rows``
    pixels at a time; the backward recomputes each chunk's logits instead of storing them."""

    @staticmethod
    def forward(ctx, s: Tensor, t: Tensor, queue: Tensor, temperature: float, rows: int) -> Tensor:
        pos = (s * t).sum(dim=1) / temperature  # (P,)
        lse = torch.empty_like(pos)
        for start in range(0, s.size(0), rows):
            chunk = slice(start, start + rows)
            neg = (s[chunk] @ queue).div_(temperature)  # (rows, K)
            lse[chunk] = torch.logaddexp(pos[chunk], torch.logsumexp(neg, dim=1))
            del neg
        ctx.save_for_backward(s, t, queue, pos, lse)
        ctx.temperature, ctx.rows = temperature, rows
        return (lse - pos).mean()

    @staticmethod
    def backward(ctx, grad: Tensor) -> Tuple[Optional[Tensor], ...]:
        s, t, queue, pos, lse = ctx.saved_tensors
        temperature, rows = ctx.temperature, ctx.rows
        # d loss / d logits = (softmax - onehot(0)) / P; logits are linear in s over T.
        scale = grad / (s.size(0) * temperature)
        grad_s = torch.empty_like(s)
        for start in range(0, s.size(0), rows):
            chunk = slice(start, start + rows)
            prob = (s[chunk] @ queue).div_(temperature).sub_(lse[chunk, None]).exp_()
            pos_weight = torch.exp(pos[chunk] - lse[chunk]) - 1.0
            grad_s[chunk] = (pos_weight[:, None] * t[chunk] + prob @ queue.t()) * scale
            del prob
        return grad_s, None, None, None, None


def pcd_infonce_loss(
    student: Tensor,
    teacher: Tensor,
    queue: Tensor,
    temperature: float = 0.2,
    chunk_size: Optional[int] = None,
) -> Tensor:
    """PCD's pixel-wise contrastive loss (the reference's ``_pixelwise_contrastive_loss``).

    For every pixel ``i`` of image ``n``, with ``s``, ``t`` the L2-normalised student and
    teacher vectors there and ``Q`` the queue of unit negatives::

        l = -log exp(s.t / T) / (exp(s.t / T) + sum_k exp(s.q_k / T))

    averaged over the N*H*W pixels. The teacher and the queue get no gradient. It computes
    in the inputs' dtype; :class:`~mmpcd.models.heads.PCDHead` calls it in fp32 with autocast
    off (exp over 65536 negatives is fragile in half precision).

    Args:
        student: (N, D, H, W) student map.
        teacher: (N, D, H, W) teacher map of the corresponding pixels.
        queue: (D, K) negatives (unit columns).
        temperature: T. Defaults to 0.2.
        chunk_size: Pixels per chunk. None (default) picks it so that a chunk's logits hold
            about 2^24 floats (256 pixels at K = 65536); the logits are never stored whole and
            the backward recomputes them chunk by chunk, so the extra memory stays around
            150 MB whatever N. 0 computes the dense (N*H*W, 1+K) logits and
            ``F.cross_entropy`` as the reference does (same result, ~1.6 GB at N 128, K 65536).

    Returns:
        Scalar loss.
    """
    if student.dim() != 4 or student.shape != teacher.shape:
        raise ValueError(
            f'student and teacher must be (N, D, H, W) maps of the same shape, got '
            f'{tuple(student.shape)} and {tuple(teacher.shape)}.'
        )
    if queue.dim() != 2 or queue.size(0) != student.size(1):
        raise ValueError(
            f'queue must be (D, K) with D = {student.size(1)} (the maps\' '
            f'channels), got {tuple(queue.shape)}.'
        )
    if chunk_size is not None and chunk_size < 0:
        raise ValueError(
            f'chunk_size must be None (auto), 0 (no chunking) or positive, got {chunk_size}.'
        )
    s = _flatten_pixels(student)
    t = _flatten_pixels(teacher.detach())
    queue = queue.detach()
    if chunk_size == 0:
        logits = torch.cat([(s * t).sum(dim=1, keepdim=True), s @ queue], dim=1) / temperature
        return F.cross_entropy(logits, logits.new_zeros(logits.size(0), dtype=torch.long))
    rows = chunk_size or max(1, CHUNK_ELEMENTS // queue.size(1))
    return _ChunkedInfoNCE.apply(s, t, queue, float(temperature), rows)
