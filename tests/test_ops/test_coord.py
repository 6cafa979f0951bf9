import pytest
import torch

from mmpcd.ops import cell_centers, coord_distance, coord_positive_mask

from .helpers import compiled_impls, disjoint_pair, overlapping_pair, random_coord

SIZES = [((7, 7), (7, 7)), ((5, 7), (4, 6)), ((1, 1), (3, 2)), ((14, 14), (7, 7))]


def pixpro_official_mask(coord_q, coord_k, size, pos_ratio):
    """Transcription of the positive mask of PixPro's ``regression_loss`` (equal sizes)."""
    h, w = size
    x_array = torch.arange(0.0, float(w)).view(1, 1, -1).repeat(1, h, 1)
    y_array = torch.arange(0.0, float(h)).view(1, -1, 1).repeat(1, 1, w)
    q_bin_width = ((coord_q[:, 2] - coord_q[:, 0]) / w).view(-1, 1, 1)
    q_bin_height = ((coord_q[:, 3] - coord_q[:, 1]) / h).view(-1, 1, 1)
    k_bin_width = ((coord_k[:, 2] - coord_k[:, 0]) / w).view(-1, 1, 1)
    k_bin_height = ((coord_k[:, 3] - coord_k[:, 1]) / h).view(-1, 1, 1)
    q_bin_diag = torch.sqrt(q_bin_width**2 + q_bin_height**2)
    k_bin_diag = torch.sqrt(k_bin_width**2 + k_bin_height**2)
    max_bin_diag = torch.max(q_bin_diag, k_bin_diag)
    center_q_x = (x_array + 0.5) * q_bin_width + coord_q[:, 0].view(-1, 1, 1)
    center_q_y = (y_array + 0.5) * q_bin_height + coord_q[:, 1].view(-1, 1, 1)
    center_k_x = (x_array + 0.5) * k_bin_width + coord_k[:, 0].view(-1, 1, 1)
    center_k_y = (y_array + 0.5) * k_bin_height + coord_k[:, 1].view(-1, 1, 1)
    dist = torch.sqrt(
        (center_q_x.view(-1, h * w, 1) - center_k_x.view(-1, 1, h * w)) ** 2
        + (center_q_y.view(-1, h * w, 1) - center_k_y.view(-1, 1, h * w)) ** 2
    )
    dist = dist / max_bin_diag
    return dist < pos_ratio, dist


def assert_masks_equal_away_from_threshold(mask, reference, distance, pos_ratio):
    """Masks agree except where the distance is within float rounding of the threshold."""
    near = (distance - pos_ratio).abs() < 1e-5
    assert torch.equal(mask[~near], reference[~near])


def test_cell_centers_follow_the_box_and_mirror_when_flipped():
    coord = torch.tensor([[0.0, 0.0, 1.0, 0.5], [1.0, 0.0, 0.0, 0.5]])
    centers, diag = cell_centers(coord, (1, 2))
    assert torch.allclose(centers[0], torch.tensor([[0.25, 0.25], [0.75, 0.25]]))
    assert torch.allclose(centers[1], torch.tensor([[0.75, 0.25], [0.25, 0.25]]))  # mirrored
    assert torch.allclose(diag, torch.full((2,), (0.5**2 + 0.5**2) ** 0.5))


def test_reference_matches_the_official_pixpro_mask():
    generator = torch.Generator().manual_seed(1)
    coord_q, coord_k = overlapping_pair(16, generator)
    official, distance = pixpro_official_mask(coord_q, coord_k, (7, 7), 0.7)
    ours = coord_positive_mask(coord_q, coord_k, (7, 7), (7, 7), 0.7, impl='pytorch')
    assert ours.any()  # the views overlap: there are positives to compare
    assert_masks_equal_away_from_threshold(ours, official, distance, 0.7)
    assert torch.allclose(
        coord_distance(coord_q, coord_k, (7, 7), (7, 7), impl='pytorch'), distance, rtol=1e-6
    )


@pytest.mark.parametrize('impl,device', compiled_impls())
@pytest.mark.parametrize('size_q,size_k', SIZES)
@pytest.mark.parametrize('dtype', [torch.float32, torch.float64])
def test_compiled_kernels_match_the_reference(impl, device, size_q, size_k, dtype):
    generator = torch.Generator().manual_seed(hash((size_q, size_k)) % 2**31)
    coord_q = random_coord(5, generator, dtype=dtype).to(device)
    coord_k = random_coord(5, generator, dtype=dtype).to(device)
    reference = coord_distance(coord_q, coord_k, size_q, size_k, impl='pytorch')
    distance = coord_distance(coord_q, coord_k, size_q, size_k, impl=impl)
    assert distance.shape == (5, size_q[0] * size_q[1], size_k[0] * size_k[1])
    # float32 cancellation in centre differences: ~1e-7 absolute over a cell diagonal
    atol = 1e-5 if dtype == torch.float32 else 1e-12
    assert torch.allclose(distance, reference, rtol=1e-6, atol=atol)
    mask = coord_positive_mask(coord_q, coord_k, size_q, size_k, 0.7, impl=impl)
    assert_masks_equal_away_from_threshold(mask, reference < 0.7, reference, 0.7)


@pytest.mark.parametrize('impl', ['pytorch', 'cpu'])
def test_disjoint_crops_have_no_positives(impl):
    coord_q, coord_k = disjoint_pair(3)
    assert not coord_positive_mask(coord_q, coord_k, (7, 7), (7, 7), 0.7, impl=impl).any()


def test_bad_inputs_are_rejected_with_a_clear_message():
    coord = torch.rand(2, 4)
    with pytest.raises(ValueError, match=r'coord_q must have shape \(N, 4\)'):
        coord_distance(torch.rand(2, 3), coord, (7, 7), (7, 7))
    with pytest.raises(ValueError, match='same pairs'):
        coord_distance(coord, torch.rand(3, 4), (7, 7), (7, 7))
    with pytest.raises(ValueError, match='impl must be one of'):
        coord_distance(coord, coord, (7, 7), (7, 7), impl='triton')
    with pytest.raises(ValueError, match="impl='cuda' needs cuda tensors"):
        coord_distance(coord, coord, (7, 7), (7, 7), impl='cuda')
