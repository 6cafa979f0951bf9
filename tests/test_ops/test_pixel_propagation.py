import pytest
import torch

from mmpcd.ops import pixel_propagation

from .helpers import compiled_impls

# (N, C, Cv, H, W); 17 x 19 = 323 pixels spans two similarity tiles of the kernels.
SHAPES = [(2, 8, 6, 7, 7), (3, 5, 4, 5, 9), (2, 4, 3, 1, 1), (1, 6, 5, 17, 19)]
SETTINGS = [(2.0, 0.0), (1.0, 0.0), (3.5, 0.0), (2.0, 0.3), (1.0, -0.5)]


def inputs(shape, dtype, device, seed):
    n, c, cv, h, w = shape
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(n, c, h, w, generator=generator, dtype=dtype).to(device)
    value = torch.randn(n, cv, h, w, generator=generator, dtype=dtype).to(device)
    return x.requires_grad_(), value.requires_grad_()


@pytest.mark.parametrize('impl,device', compiled_impls())
@pytest.mark.parametrize('shape', SHAPES)
@pytest.mark.parametrize('gamma,clamp_min', SETTINGS)
def test_forward_and_backward_match_the_reference(impl, device, shape, gamma, clamp_min):
    x, value = inputs(shape, torch.float64, device, seed=sum(shape))
    reference = pixel_propagation(x, value, gamma, clamp_min, impl='pytorch')
    out = pixel_propagation(x, value, gamma, clamp_min, impl=impl)
    assert out.shape == value.shape
    assert torch.allclose(out, reference, rtol=1e-10, atol=1e-10)
    grad = torch.randn_like(out)
    expected = torch.autograd.grad(reference, (x, value), grad)
    actual = torch.autograd.grad(out, (x, value), grad)
    for a, e in zip(actual, expected):
        assert torch.allclose(a, e, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize('impl,device', compiled_impls())
def test_float32_matches_the_reference(impl, device):
    x, value = inputs((4, 16, 16, 9, 11), torch.float32, device, seed=3)
    reference = pixel_propagation(x, value, impl='pytorch')
    assert torch.allclose(pixel_propagation(x, value, impl=impl), reference, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize('impl,device', compiled_impls())
@pytest.mark.parametrize('gamma,clamp_min', [(2.0, 0.0), (1.5, 0.1)])
def test_gradcheck(impl, device, gamma, clamp_min):
    x, value = inputs((1, 3, 2, 2, 3), torch.float64, device, seed=7)
    assert torch.autograd.gradcheck(
        lambda a, b: pixel_propagation(a, b, gamma, clamp_min, impl=impl), (x, value)
    )


def test_propagation_is_a_similarity_weighted_sum():
    # two pixels with orthogonal features: each only propagates itself (cos = 0 is clamped)
    x = torch.tensor([[1.0, 0.0], [0.0, 2.0]]).T.reshape(1, 2, 1, 2)
    value = torch.tensor([[3.0, 5.0]]).reshape(1, 1, 1, 2)
    out = pixel_propagation(x, value, gamma=2.0, impl='pytorch')
    assert torch.allclose(out.flatten(), torch.tensor([3.0, 5.0]))


def test_mismatched_shapes_are_rejected():
    with pytest.raises(ValueError, match='must share N, H and W'):
        pixel_propagation(torch.randn(1, 2, 3, 3), torch.randn(1, 2, 3, 4))
