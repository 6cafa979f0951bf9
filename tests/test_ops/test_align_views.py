import pytest
import torch

from mmpcd.ops import align_views, cell_centers, crop_intersection
from mmpcd.ops.align_views import rois_in_cells

from .helpers import disjoint_pair, overlapping_pair

CUDA = torch.cuda.is_available()


def _bilinear(feat, y, x):
    """RoIAlign's bilinear sampling of one (C, H, W) map at positions (P,), zero outside
    ``[-1, H] x [-1, W]``; returns (C, P)."""
    _, height, width = feat.shape
    inside = (y >= -1) & (y <= height) & (x >= -1) & (x <= width)
    y, x = y.clamp(0, height - 1), x.clamp(0, width - 1)
    y0, x0 = y.floor().long(), x.floor().long()
    y1, x1 = (y0 + 1).clamp(max=height - 1), (x0 + 1).clamp(max=width - 1)
    ly, lx = y - y0, x - x0
    value = (
        feat[:, y0, x0] * (1 - ly) * (1 - lx)
        + feat[:, y0, x1] * (1 - ly) * lx
        + feat[:, y1, x0] * ly * (1 - lx)
        + feat[:, y1, x1] * ly * lx
    )
    return value * inside


def roi_align_reference(feat, rois, out_size, sampling_ratio):
    """RoIAlign (``aligned=True``, average pooling, fixed sampling ratio) written out with
    tensor indexing: the oracle of the torchvision kernel that align_views runs.

    feat (N, C, H, W), rois (N, 5) one box per image -> (N, C, out_h, out_w).
    """
    out_h, out_w = out_size
    steps = (torch.arange(sampling_ratio, dtype=feat.dtype) + 0.5) / sampling_ratio
    outputs = []
    for image, roi in enumerate(rois):
        x1, y1, x2, y2 = roi[1:] - 0.5  # aligned=True: pixel centres at integer positions
        bin_h, bin_w = (y2 - y1) / out_h, (x2 - x1) / out_w
        ys = (y1 + (torch.arange(out_h, dtype=feat.dtype)[:, None] + steps) * bin_h).flatten()
        xs = (x1 + (torch.arange(out_w, dtype=feat.dtype)[:, None] + steps) * bin_w).flatten()
        grid_y, grid_x = torch.meshgrid(ys, xs, indexing='ij')
        samples = _bilinear(feat[image], grid_y.flatten(), grid_x.flatten())
        samples = samples.view(-1, out_h, sampling_ratio, out_w, sampling_ratio)
        outputs.append(samples.mean(dim=(2, 4)))
    return torch.stack(outputs)


def positional_features(coord, size):
    """Features whose channels are the (x, y) of each cell centre in the original image, plus
    a constant: an ideal, linear 'feature map' of a view."""
    centers, _ = cell_centers(coord, size)
    height, width = size
    feat = torch.cat([centers, torch.ones_like(centers[..., :1])], dim=2)
    return feat.transpose(1, 2).reshape(coord.size(0), 3, height, width)


@pytest.mark.parametrize('sizes', [((14, 14), (14, 14)), ((16, 12), (10, 20))])
def test_both_views_see_the_same_region_in_original_orientation(sizes):
    generator = torch.Generator().manual_seed(3)
    coord_1, coord_2 = overlapping_pair(16, generator, dtype=torch.float64)
    feat_1 = positional_features(coord_1, sizes[0])
    feat_2 = positional_features(coord_2, sizes[1])
    aligned_1, valid_1 = align_views(feat_1, coord_1, coord_2, (5, 5), impl='pytorch')
    aligned_2, valid_2 = align_views(feat_2, coord_2, coord_1, (5, 5), impl='pytorch')
    assert valid_1.all() and torch.equal(valid_1, valid_2)
    # RoIAlign interpolates linearly, so the positional channels are reproduced exactly
    # away from the border half-cells that clamp; compare the interior cells.
    inner = (slice(None), slice(0, 2), slice(1, -1), slice(1, -1))
    assert torch.allclose(aligned_1[inner], aligned_2[inner], atol=1e-6)
    # and the grid runs left to right, top to bottom in the original image
    assert (aligned_1[:, 0, :, 1:] > aligned_1[:, 0, :, :-1]).all()
    assert (aligned_1[:, 1, 1:, :] > aligned_1[:, 1, :-1, :]).all()
    # inside the crops' intersection
    box, _ = crop_intersection(coord_1, coord_2)
    assert (aligned_1[:, 0] >= box[:, 0, None, None] - 1e-6).all()
    assert (aligned_1[:, 0] <= box[:, 2, None, None] + 1e-6).all()


def test_disjoint_crops_are_flagged_and_zeroed():
    coord_q, coord_k = disjoint_pair(2, dtype=torch.float64)
    feat = torch.randn(2, 4, 7, 7, dtype=torch.float64)
    aligned, valid = align_views(feat, coord_q, coord_k, (3, 3), impl='pytorch')
    assert not valid.any()
    assert torch.equal(aligned, torch.zeros_like(aligned))


@pytest.mark.parametrize(
    'device',
    ['cpu', pytest.param('cuda', marks=pytest.mark.skipif(not CUDA, reason='needs a GPU'))],
)
@pytest.mark.parametrize('size', [(7, 7), (5, 9), (1, 1)])
def test_roi_align_matches_the_written_out_reference(device, size):
    generator = torch.Generator().manual_seed(sum(size))
    coord_1, coord_2 = overlapping_pair(6, generator, dtype=torch.float64)
    # No flips: the reference has to see the same (unflipped) output orientation.
    coord_1, coord_2 = (
        torch.cat([c[:, :2].minimum(c[:, 2:]), c[:, :2].maximum(c[:, 2:])], 1)
        for c in (coord_1, coord_2)
    )
    feat = torch.randn(6, 4, *size, generator=generator, dtype=torch.float64)
    box, valid = crop_intersection(coord_1, coord_2)
    rois = rois_in_cells(coord_1, box, size)
    expected = roi_align_reference(feat, rois, (7, 7), 2) * valid[:, None, None, None]
    for impl in ('auto', device):
        got, valid_got = align_views(
            feat.to(device), coord_1.to(device), coord_2.to(device), (7, 7), impl=impl
        )
        assert torch.equal(valid_got.cpu(), valid)
        assert torch.allclose(got.cpu(), expected, atol=1e-10), impl


def test_gradients_flow_through_roi_align():
    generator = torch.Generator().manual_seed(0)
    coord_1, coord_2 = overlapping_pair(2, generator, dtype=torch.float64)
    feat = torch.randn(2, 2, 4, 4, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(
        lambda f: align_views(f, coord_1, coord_2, (2, 2), impl='pytorch')[0], (feat,)
    )


def test_bad_inputs_are_rejected():
    with pytest.raises(ValueError, match='boxes'):
        align_views(torch.randn(3, 2, 4, 4), torch.rand(2, 4), torch.rand(2, 4))


def test_strided_maps_give_the_values_of_contiguous_ones():
    """The GEMM necks return channels-last-strided views; mmcv's RoIAlign, which align_views
    ran before, read those as if contiguous (PCD's cross_view_aligned student maps came out
    wrong on the CPU)."""
    generator = torch.Generator().manual_seed(5)
    coord_1, coord_2 = overlapping_pair(4, generator)
    feat = torch.randn(4, 3, 3, 8, generator=generator).permute(0, 3, 1, 2)  # (4, 8, 3, 3)
    assert not feat.is_contiguous()
    strided, _ = align_views(feat, coord_1, coord_2, (3, 3))
    contiguous, _ = align_views(feat.contiguous(), coord_1, coord_2, (3, 3))
    torch.testing.assert_close(strided, contiguous)
