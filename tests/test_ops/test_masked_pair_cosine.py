import pytest
import torch
import torch.nn.functional as F

from mmpcd.ops import masked_pair_cosine

from .helpers import compiled_impls, disjoint_pair, overlapping_pair

# (N, C, Hq, Wq, Hk, Wk)
SHAPES = [(4, 8, 7, 7, 7, 7), (3, 5, 5, 7, 4, 6), (2, 4, 1, 1, 3, 3), (2, 16, 14, 14, 7, 7)]


def features(shape, dtype, device, seed):
    n, c, hq, wq, hk, wk = shape
    generator = torch.Generator().manual_seed(seed)
    pred = torch.randn(n, c, hq, wq, generator=generator, dtype=dtype).to(device)
    target = torch.randn(n, c, hk, wk, generator=generator, dtype=dtype).to(device)
    return pred.requires_grad_(), target.requires_grad_()


def pixpro_official_loss(pred, target, coord_q, coord_k, pos_ratio):
    """Transcription of PixPro's ``regression_loss`` (inputs already L2-normalised)."""
    from .test_coord import pixpro_official_mask

    n, c, h, w = pred.shape
    mask, _ = pixpro_official_mask(coord_q, coord_k, (h, w), pos_ratio)
    mask = mask.float().detach()
    logit = torch.bmm(pred.view(n, c, -1).transpose(1, 2), target.view(n, c, -1))
    loss = (logit * mask).sum(-1).sum(-1) / (mask.sum(-1).sum(-1) + 1e-6)
    return -2 * loss.mean()


@pytest.mark.parametrize('impl,device', compiled_impls())
@pytest.mark.parametrize('shape', SHAPES)
def test_forward_and_backward_match_the_reference(impl, device, shape):
    pred, target = features(shape, torch.float64, device, seed=sum(shape))
    generator = torch.Generator().manual_seed(len(shape))
    coord_q, coord_k = overlapping_pair(shape[0], generator, dtype=torch.float64)
    coord_q, coord_k = coord_q.to(device), coord_k.to(device)
    reference = masked_pair_cosine(pred, target, coord_q, coord_k, 0.7, impl='pytorch')
    out = masked_pair_cosine(pred, target, coord_q, coord_k, 0.7, impl=impl)
    assert out.shape == (shape[0],)
    assert torch.allclose(out, reference, rtol=1e-10, atol=1e-12)
    grad = torch.randn_like(out)
    expected = torch.autograd.grad(reference, (pred, target), grad)
    actual = torch.autograd.grad(out, (pred, target), grad)
    for a, e in zip(actual, expected):
        assert torch.allclose(a, e, rtol=1e-8, atol=1e-12)


@pytest.mark.parametrize('impl', ['pytorch', 'cpu'])
def test_minus_two_times_the_mean_is_the_official_pixpro_loss(impl):
    generator = torch.Generator().manual_seed(5)
    pred = F.normalize(torch.randn(8, 16, 7, 7, generator=generator), dim=1)
    target = F.normalize(torch.randn(8, 16, 7, 7, generator=generator), dim=1)
    coord_q, coord_k = overlapping_pair(8, generator)
    coord_k[:2] = torch.tensor([[0.9, 0.9, 0.95, 0.95]]).repeat(2, 1)  # no positives: counts 0
    official = pixpro_official_loss(pred, target, coord_q, coord_k, 0.7)
    ours = -2 * masked_pair_cosine(pred, target, coord_q, coord_k, 0.7, impl=impl).mean()
    assert torch.allclose(ours, official, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize('impl,device', compiled_impls())
def test_gradcheck(impl, device):
    pred, target = features((2, 3, 2, 3, 3, 2), torch.float64, device, seed=11)
    coord_q = torch.tensor([[0.1, 0.1, 0.6, 0.7], [0.8, 0.2, 0.3, 0.9]], dtype=torch.float64)
    coord_k = torch.tensor([[0.2, 0.0, 0.7, 0.6], [0.3, 0.3, 0.9, 0.8]], dtype=torch.float64)
    coord_q, coord_k = coord_q.to(device), coord_k.to(device)
    assert masked_pair_cosine(pred, target, coord_q, coord_k, impl='pytorch').abs().sum() > 0
    assert torch.autograd.gradcheck(
        lambda p, t: masked_pair_cosine(p, t, coord_q, coord_k, 0.7, impl=impl), (pred, target)
    )


@pytest.mark.parametrize('impl', ['pytorch', 'cpu'])
def test_views_without_overlap_give_zero_and_no_gradient(impl):
    pred, target = features((3, 4, 7, 7, 7, 7), torch.float64, 'cpu', seed=2)
    coord_q, coord_k = disjoint_pair(3, dtype=torch.float64)
    out = masked_pair_cosine(pred, target, coord_q, coord_k, 0.7, impl=impl)
    assert torch.equal(out, torch.zeros(3, dtype=torch.float64))
    grads = torch.autograd.grad(out.sum(), (pred, target))
    assert all(torch.equal(g, torch.zeros_like(g)) for g in grads)


def test_identical_views_of_identical_features_have_cosine_one():
    feat = torch.randn(2, 8, 7, 7)
    coord = torch.tensor([[0.1, 0.2, 0.8, 0.9], [0.9, 0.1, 0.2, 0.7]])
    for impl in ('pytorch', 'cpu'):
        # pos_ratio 0.5: only the cell itself is a positive
        out = masked_pair_cosine(feat, feat, coord, coord, 0.5, impl=impl)
        assert torch.allclose(out, torch.ones(2), atol=1e-5)


def test_bad_inputs_are_rejected():
    with pytest.raises(ValueError, match='must share N and C'):
        masked_pair_cosine(
            torch.randn(2, 3, 4, 4), torch.randn(2, 4, 4, 4), torch.rand(2, 4), torch.rand(2, 4)
        )
    with pytest.raises(ValueError, match=r'coord_k must have shape \(N, 4\)'):
        masked_pair_cosine(
            torch.randn(2, 3, 4, 4), torch.randn(2, 3, 4, 4), torch.rand(2, 4), torch.rand(2, 5)
        )
