"""Feature-cell geometry of two views from their crop boxes (PixPro's convention).

A view's ``coord`` is its crop box normalised to the original image,
``[x_ul/(W-1), y_ul/(H-1), x_lr/(W-1), y_lr/(H-1)]``; a horizontally flipped view has its x
entries swapped (``x_ul > x_lr``), so cell centres computed from it come out mirrored.
"""

from typing import Sequence, Tuple

import torch

from . import dispatch
from .ext import load_ext


def _size(size: Sequence[int]) -> Tuple[int, int]:
    height, width = (int(s) for s in size)
    if height < 1 or width < 1:
        raise ValueError(f'feature map size must be positive, got {tuple(size)}.')
    return height, width


def check_coord(coord: torch.Tensor, name: str = 'coord') -> None:
    if coord.dim() != 2 or coord.size(1) != 4:
        raise ValueError(
            f'{name} must have shape (N, 4) = [x_ul, y_ul, x_lr, y_lr] per image, '
            f'got {tuple(coord.shape)}.'
        )


def cell_centers(coord: torch.Tensor, size: Sequence[int]) -> Tuple[torch.Tensor, torch.Tensor]:
    """Centres of the cells of an ``(H, W)`` feature map of each view, in normalised image
    coordinates.

    Args:
        coord: (N, 4) crop boxes.
        size: ``(H, W)`` of the feature map.

    Returns:
        centers: (N, H*W, 2) ``(x, y)`` per cell, row-major like ``feat.flatten(2)``.
        bin_diag: (N,) diagonal of one cell.
    """
    check_coord(coord)
    height, width = _size(size)
    bin_w = (coord[:, 2] - coord[:, 0]) / width  # negative for a flipped view
    bin_h = (coord[:, 3] - coord[:, 1]) / height
    cols = torch.arange(width, dtype=coord.dtype, device=coord.device) + 0.5
    rows = torch.arange(height, dtype=coord.dtype, device=coord.device) + 0.5
    center_x = coord[:, 0, None] + cols[None] * bin_w[:, None]  # (N, W)
    center_y = coord[:, 1, None] + rows[None] * bin_h[:, None]  # (N, H)
    centers = torch.stack(
        torch.broadcast_tensors(center_x[:, None, :], center_y[:, :, None]), dim=-1
    )
    return centers.flatten(1, 2), torch.sqrt(bin_w**2 + bin_h**2)


def coord_distance_pytorch(
    coord_q: torch.Tensor, coord_k: torch.Tensor, size_q: Sequence[int], size_k: Sequence[int]
) -> torch.Tensor:
    """Reference of :func:`coord_distance`."""
    centers_q, diag_q = cell_centers(coord_q, size_q)
    centers_k, diag_k = cell_centers(coord_k, size_k)
    delta_x = centers_q[:, :, None, 0] - centers_k[:, None, :, 0]
    delta_y = centers_q[:, :, None, 1] - centers_k[:, None, :, 1]
    distance = torch.sqrt(delta_x**2 + delta_y**2)
    return distance / torch.maximum(diag_q, diag_k)[:, None, None]


def coord_distance(
    coord_q: torch.Tensor,
    coord_k: torch.Tensor,
    size_q: Sequence[int],
    size_k: Sequence[int],
    impl: str = 'auto',
) -> torch.Tensor:
    """Distances between every cell centre of view q and of view k, in units of the larger
    of the two views' cell diagonals (PixPro's normalisation, which evens out crop scales).

    Args:
        coord_q, coord_k: (N, 4) crop boxes of the two views.
        size_q, size_k: ``(H, W)`` of each view's feature map.
        impl: ``'auto' | 'pytorch' | 'cpu' | 'cuda'``.

    Returns:
        (N, Hq*Wq, Hk*Wk) distances (no gradient), float64 for float64 boxes, else float32:
        cell geometry never runs in half precision (a bfloat16 box cannot place 56 cells).
    """
    check_coord(coord_q, 'coord_q')
    check_coord(coord_k, 'coord_k')
    if coord_q.size(0) != coord_k.size(0):
        raise ValueError(
            f'coord_q and coord_k hold {coord_q.size(0)} and {coord_k.size(0)} '
            'images; they must be the same pairs.'
        )
    size_q, size_k = _size(size_q), _size(size_k)
    call = dispatch.plan(
        'coord_distance',
        impl,
        (coord_q, coord_k),
        pixels=max(size_q[0] * size_q[1], size_k[0] * size_k[1]),
        half_kernels=False,
    )
    coord_q, coord_k = coord_q.to(call.compute_dtype), coord_k.to(call.compute_dtype)
    with call.context(coord_q.device.type):
        if call.impl == 'pytorch':
            return coord_distance_pytorch(coord_q, coord_k, size_q, size_k)
        return load_ext().coord_distance(
            coord_q.contiguous(), coord_k.contiguous(), *size_q, *size_k
        )


def coord_positive_mask(
    coord_q: torch.Tensor,
    coord_k: torch.Tensor,
    size_q: Sequence[int],
    size_k: Sequence[int],
    pos_ratio: float = 0.7,
    impl: str = 'auto',
) -> torch.Tensor:
    """PixPro's geometric positive pairs: cells closer than ``pos_ratio`` cell diagonals.

    Returns:
        (N, Hq*Wq, Hk*Wk) bool; strict ``<`` as in the reference.
    """
    return coord_distance(coord_q, coord_k, size_q, size_k, impl=impl) < pos_ratio
