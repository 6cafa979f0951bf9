"""PixPro's pixel-to-propagation consistency loss for one ordered pair of views."""

import torch

from mmpcd.ops import masked_pair_cosine


def pixpro_loss(
    pred_q: torch.Tensor,
    target_k: torch.Tensor,
    coord_q: torch.Tensor,
    coord_k: torch.Tensor,
    pos_ratio: float = 0.7,
    impl: str = 'auto',
) -> torch.Tensor:
    """``-2 * mean_n [sum_ij cos(pred_q_i, target_k_j) A_ij / (sum_ij A_ij + 1e-6)]``.

    The official ``regression_loss`` (zdaxie/PixPro ``contrast/models/PixPro.py``) for one
    ordered pair: ``A`` marks the cell pairs whose centres (in the original image) are closer
    than ``pos_ratio`` times the larger of the two views' cell diagonals. An image whose
    views share no positive pair contributes 0 and still counts in the batch mean. PixPro
    sums this over both orders, so its minimum is -4.

    The cosine is computed here, so the inputs need not be normalised (the official code
    normalises both before; normalising twice is a no-op).

    Args:
        pred_q: (N, C, Hq, Wq) propagated features of view q (the PPM output).
        target_k: (N, C, Hk, Wk) momentum-branch projections of view k (no gradient is
            expected, but one flows if ``target_k`` requires it).
        coord_q, coord_k: (N, 4) crop boxes ``[x_ul, y_ul, x_lr, y_lr]`` of the views,
            normalised by the original image's ``(W - 1, H - 1)``; a flip swaps x entries.
        pos_ratio: Distance threshold T in cell diagonals. Defaults to 0.7.
        impl: Op implementation, ``'auto' | 'pytorch' | 'cpu' | 'cuda'``.

    Returns:
        Scalar loss.
    """
    return -2 * masked_pair_cosine(pred_q, target_k, coord_q, coord_k, pos_ratio, impl=impl).mean()
