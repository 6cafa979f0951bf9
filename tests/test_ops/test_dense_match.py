import pytest
import torch
import torch.nn.functional as F

from mmpcd.ops import dense_argmax_match

from .helpers import compiled_impls

# (N, C, Hq, Wq, Hk, Wk); 18 x 17 = 306 key pixels span two tiles of the kernels.
SHAPES = [
    (2, 8, 7, 7, 7, 7),
    (3, 5, 4, 6, 5, 3),
    (2, 4, 1, 1, 3, 3),
    (2, 6, 3, 4, 1, 1),
    (1, 16, 9, 8, 18, 17),
]


def cosine(feat_q, feat_k):
    q = F.normalize(feat_q.flatten(2), dim=1)
    k = F.normalize(feat_k.flatten(2), dim=1)
    return torch.bmm(q.transpose(1, 2), k)


@pytest.mark.parametrize('impl,device', compiled_impls())
@pytest.mark.parametrize('shape', SHAPES)
def test_matches_the_reference(impl, device, shape):
    n, c, hq, wq, hk, wk = shape
    generator = torch.Generator().manual_seed(sum(shape))
    feat_q = torch.randn(n, c, hq, wq, generator=generator).to(device)
    feat_k = torch.randn(n, c, hk, wk, generator=generator).to(device)
    reference = dense_argmax_match(feat_q, feat_k, impl='pytorch')
    index = dense_argmax_match(feat_q, feat_k, impl=impl)
    assert index.dtype == torch.int64 and index.shape == (n, hq * wq)
    # equal up to near-ties, which float rounding of the blocked GEMM may order differently
    sim = cosine(feat_q.double(), feat_k.double())
    chosen = sim.gather(2, index[..., None]).squeeze(2)
    assert torch.all(chosen >= sim.max(dim=2).values - 1e-6)
    assert (index == reference).float().mean() > 0.99


def test_finds_the_planted_correspondence():
    generator = torch.Generator().manual_seed(0)
    feat_k = torch.randn(2, 32, 5, 6, generator=generator)
    permutation = torch.randperm(30, generator=generator)
    feat_q = feat_k.flatten(2)[:, :, permutation].reshape(2, 32, 5, 6) * 3.0  # scale-free
    for impl in ('pytorch', 'cpu'):
        index = dense_argmax_match(feat_q, feat_k, impl=impl)
        assert torch.equal(index, permutation.expand(2, -1))


def test_mismatched_channels_are_rejected():
    with pytest.raises(ValueError, match='must share N and C'):
        dense_argmax_match(torch.randn(1, 3, 2, 2), torch.randn(1, 4, 2, 2))
