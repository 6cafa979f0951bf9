"""Resample two views' feature maps on the intersection of their crops (flip-aware)."""

from typing import Sequence, Tuple

import torch

from . import dispatch
from .coord import _size, check_coord


def crop_intersection(
    coord_a: torch.Tensor, coord_b: torch.Tensor
) -> Tuple[torch.Tensor, torch.Tensor]:
    """Intersection of two views' crops in normalised original-image coordinates.

    Args:
        coord_a, coord_b: (N, 4) crop boxes (flipped ones have swapped entries).

    Returns:
        box: (N, 4) ``[x_min, y_min, x_max, y_max]`` of the intersection.
        valid: (N,) bool, False where the crops do not overlap.
    """
    min_a = torch.minimum(coord_a[:, :2], coord_a[:, 2:])
    max_a = torch.maximum(coord_a[:, :2], coord_a[:, 2:])
    min_b = torch.minimum(coord_b[:, :2], coord_b[:, 2:])
    max_b = torch.maximum(coord_b[:, :2], coord_b[:, 2:])
    low, high = torch.maximum(min_a, min_b), torch.minimum(max_a, max_b)
    return torch.cat([low, high], dim=1), (high > low).all(dim=1)


def rois_in_cells(coord: torch.Tensor, box: torch.Tensor, size: Sequence[int]) -> torch.Tensor:
    """``box`` in the continuous cell coordinates of a view's ``(H, W)`` feature map.

    Cell ``s`` spans ``[s, s + 1)``; its centre ``s + 0.5`` lies at
    ``coord[0] + (s + 0.5) * (coord[2] - coord[0]) / W`` (PixPro's cell centres), which is
    RoIAlign's ``aligned=True`` convention.

    Returns:
        (N, 5) ``[batch_index, x1, y1, x2, y2]`` with ``x1 <= x2`` and ``y1 <= y2``.
    """
    height, width = size
    cells = box.new_tensor([width, height])
    span = coord[:, 2:] - coord[:, :2]  # negative along a flipped axis
    first = (box[:, :2] - coord[:, :2]) / span * cells
    second = (box[:, 2:] - coord[:, :2]) / span * cells
    index = torch.arange(box.size(0), dtype=box.dtype, device=box.device)[:, None]
    return torch.cat([index, torch.minimum(first, second), torch.maximum(first, second)], dim=1)


def _roi_align(
    feat: torch.Tensor,
    rois: torch.Tensor,
    out_size: Tuple[int, int],
    impl: str,
    sampling_ratio: int,
) -> torch.Tensor:
    """torchvision's RoIAlign (``aligned=True``, average pooling, fixed sampling ratio).

    ``mmpcd._ext`` has no RoIAlign kernel: torchvision's compiled CPU and CUDA kernels (with
    their backward) serve every ``impl``; ``'cpu'``/``'cuda'`` still check the device, as the
    other ops do. Imported here so that ``mmpcd.ops`` imports with torch alone.
    """
    if impl not in dispatch.IMPLS:
        raise ValueError(f'impl must be one of {dispatch.IMPLS}, got {impl!r}.')
    if impl in ('cpu', 'cuda') and feat.device.type != impl:
        raise ValueError(
            f"align_views: impl='{impl}' needs {impl} tensors, got tensors on {feat.device.type}."
        )
    from torchvision.ops import roi_align

    return roi_align(feat, rois, out_size, 1.0, sampling_ratio, True)


def align_views(
    feat: torch.Tensor,
    coord_self: torch.Tensor,
    coord_other: torch.Tensor,
    out_size: Sequence[int] = (7, 7),
    sampling_ratio: int = 2,
    impl: str = 'auto',
) -> Tuple[torch.Tensor, torch.Tensor]:
    """Features of one view resampled on the intersection of its crop with another view's.

    Calling it for view 1 (``coord_self=c1, coord_other=c2``) and for view 2
    (``coord_self=c2, coord_other=c1``) gives maps whose cell (i, j) covers the same region of
    the original image in both, in the original image's orientation (flips are undone).

    Args:
        feat: (N, C, H, W) features of this view.
        coord_self: (N, 4) crop box of this view.
        coord_other: (N, 4) crop box of the other view.
        out_size: ``(h, w)`` of the output.
        sampling_ratio: Bilinear samples per output bin and axis.
        impl: ``'auto' | 'pytorch' | 'cpu' | 'cuda'``; all run torchvision's RoIAlign
            (``'cpu'``/``'cuda'`` check that the tensors are there).

    Dtypes: RoIAlign runs in float32 for half features; the result is float32 under autocast,
    else the features' dtype.

    Returns:
        aligned: (N, C, h, w); zeros where ``valid`` is False.
        valid: (N,) bool, False where the two crops do not overlap.
    """
    check_coord(coord_self, 'coord_self')
    check_coord(coord_other, 'coord_other')
    if feat.dim() != 4 or feat.size(0) != coord_self.size(0):
        raise ValueError(
            f'feat must be (N, C, H, W) with N = {coord_self.size(0)} boxes, got '
            f'{tuple(feat.shape)}.'
        )
    out_size = _size(out_size)
    call = dispatch.plan('align_views', 'pytorch', (feat,), half_kernels=False)
    with call.context(feat.device.type):
        aligned, valid = _align(
            feat.to(call.compute_dtype), coord_self, coord_other, out_size, sampling_ratio, impl
        )
    return aligned.to(call.out_dtype), valid


def _align(
    feat: torch.Tensor,
    coord_self: torch.Tensor,
    coord_other: torch.Tensor,
    out_size: Tuple[int, int],
    sampling_ratio: int,
    impl: str,
) -> Tuple[torch.Tensor, torch.Tensor]:
    """:func:`align_views` at ``feat``'s dtype (float32/float64)."""
    coord_self = coord_self.to(feat.dtype)
    box, valid = crop_intersection(coord_self, coord_other.to(feat.dtype))
    rois = rois_in_cells(coord_self, box, feat.shape[2:])
    # RoIAlign needs a finite box; empty intersections are zeroed below.
    rois = torch.where(valid[:, None], rois, torch.zeros_like(rois))
    rois[:, 0] = torch.arange(feat.size(0), dtype=feat.dtype, device=feat.device)
    aligned = _roi_align(feat, rois, out_size, impl, sampling_ratio)
    flip_x = coord_self[:, 2] < coord_self[:, 0]
    flip_y = coord_self[:, 3] < coord_self[:, 1]
    aligned = torch.where(flip_x[:, None, None, None], aligned.flip(-1), aligned)
    aligned = torch.where(flip_y[:, None, None, None], aligned.flip(-2), aligned)
    return aligned * valid[:, None, None, None].to(aligned.dtype), valid
