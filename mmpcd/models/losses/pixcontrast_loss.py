"""PixContrast's pixel-level multi-positive InfoNCE (PixPro paper, Eq. 2)."""

from typing import Optional

import torch
import torch.nn.functional as F

from mmpcd.ops import coord_distance


def pixcontrast_loss(
    query: torch.Tensor,
    key: torch.Tensor,
    coord_q: torch.Tensor,
    coord_k: torch.Tensor,
    pos_ratio: float = 0.7,
    neg_ratio: Optional[float] = None,
    temperature: float = 0.3,
    impl: str = 'auto',
) -> torch.Tensor:
    """Per-pixel InfoNCE between the cells of view q and the cells of view k.

    For cell i of view q, with ``d_ij`` PixPro's normalised centre distance
    (:func:`mmpcd.ops.coord_distance`) and ``s_ij = cos(q_i, k_j) / temperature``::

        L(i) = -log( sum_{j: d_ij < T} e^s_ij / sum_{j: d_ij < T or d_ij >= T_neg} e^s_ij )

    positives closer than ``T = pos_ratio``, negatives the other view's cells of the same
    image at ``d >= T_neg = neg_ratio`` (cells in ``[T, T_neg)`` are ignored). ``L(i)`` is
    averaged over the cells i that have a positive (every cell whose centre lies inside the
    other crop has one, since T >= 0.5), then over the batch; an image without such cells
    contributes 0 and still counts (as in :func:`pixpro_loss`).

    The paper gives only Eq. 2; the per-image averaging, the ignore band and the reuse of
    PixPro's distance are this implementation's reading of it (no code was released).

    Args:
        query: (N, C, Hq, Wq) online projections of view q (normalised here).
        key: (N, C, Hk, Wk) momentum projections of view k (normalised here).
        coord_q, coord_k: (N, 4) crop boxes of the views (PixPro's convention).
        pos_ratio: T, positive threshold in cell diagonals. Defaults to 0.7.
        neg_ratio: T_neg >= T; None (default) = T, i.e. every non-positive is a negative.
        temperature: tau. Defaults to 0.3 (the paper's).
        impl: Implementation of the distance op.

    Returns:
        Scalar loss.
    """
    neg_ratio = pos_ratio if neg_ratio is None else neg_ratio
    if neg_ratio < pos_ratio:
        raise ValueError(
            f'neg_ratio ({neg_ratio}) must be >= pos_ratio ({pos_ratio}); the '
            'cells between the two are ignored.'
        )
    if query.dim() != 4 or key.dim() != 4 or query.shape[:2] != key.shape[:2]:
        raise ValueError(
            'query (N, C, Hq, Wq) and key (N, C, Hk, Wk) must share N and C, got '
            f'{tuple(query.shape)} and {tuple(key.shape)}.'
        )
    q = F.normalize(query.flatten(2), dim=1)
    k = F.normalize(key.flatten(2), dim=1)
    logits = torch.bmm(q.transpose(1, 2), k) / temperature  # (N, Pq, Pk)
    with torch.no_grad():
        dist = coord_distance(
            coord_q.to(logits.dtype),
            coord_k.to(logits.dtype),
            query.shape[2:],
            key.shape[2:],
            impl=impl,
        )
        pos = dist < pos_ratio
        has_pos = pos.any(dim=2)  # (N, Pq)
        # Rows without a positive get a finite (all-cells) numerator and are dropped below.
        numerator = pos | ~has_pos.unsqueeze(2)
        denominator = numerator | (dist >= neg_ratio)
    neg_inf = torch.finfo(logits.dtype).min
    log_prob = torch.logsumexp(logits.masked_fill(~numerator, neg_inf), dim=2) - torch.logsumexp(
        logits.masked_fill(~denominator, neg_inf), dim=2
    )  # (N, Pq)
    weight = has_pos.to(logits.dtype)
    per_image = -(log_prob * weight).sum(1) / weight.sum(1).clamp(min=1)
    return per_image.mean()
