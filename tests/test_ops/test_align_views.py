import pytest
import torch

from mmpcd.ops import align_views, cell_centers, crop_intersection

from .helpers import disjoint_pair, overlapping_pair

CUDA = torch.cuda.is_available()


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


@pytest.mark.parametrize('device', ['cpu', pytest.param('cuda', marks=pytest.mark.skipif(
    not CUDA, reason='needs a GPU'))])
@pytest.mark.parametrize('size', [(7, 7), (5, 9), (1, 1)])
def test_compiled_roi_align_matches_the_reference(device, size):
    generator = torch.Generator().manual_seed(sum(size))
    coord_1, coord_2 = overlapping_pair(6, generator, dtype=torch.float64)
    feat = torch.randn(6, 4, *size, generator=generator, dtype=torch.float64)
    feat, coord_1, coord_2 = feat.to(device), coord_1.to(device), coord_2.to(device)
    reference, valid = align_views(feat, coord_1, coord_2, (7, 7), impl='pytorch')
    compiled, valid_c = align_views(feat, coord_1, coord_2, (7, 7), impl=device)
    assert torch.equal(valid, valid_c)
    assert torch.allclose(compiled, reference, atol=1e-10)


def test_gradients_flow_through_the_reference():
    generator = torch.Generator().manual_seed(0)
    coord_1, coord_2 = overlapping_pair(2, generator, dtype=torch.float64)
    feat = torch.randn(2, 2, 4, 4, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(
        lambda f: align_views(f, coord_1, coord_2, (2, 2), impl='pytorch')[0], (feat, ))


def test_bad_inputs_are_rejected():
    with pytest.raises(ValueError, match='boxes'):
        align_views(torch.randn(3, 2, 4, 4), torch.rand(2, 4), torch.rand(2, 4))
