"""PPM: the official featprop, its weights, its transform and its gradients."""

import pytest
import torch
import torch.nn.functional as F

from mmpcd.models import PPM


def official_featprop(x, transform, gamma, clamp_min):
    """The released ``featprop`` + final normalisation, written out with dense matrices."""
    n, c, h, w = x.shape
    value = F.normalize(transform(x), dim=1).view(n, c, -1)
    unit = F.normalize(x, dim=1).view(n, c, -1)
    sim = torch.bmm(unit.transpose(1, 2), unit).clamp(min=clamp_min)
    if gamma < 1:
        sim = sim + 1e-6
    return F.normalize(torch.bmm(value, sim.pow(gamma).transpose(1, 2)).view(n, c, h, w), dim=1)


@pytest.mark.parametrize('num_layers', [0, 1, 2])
@pytest.mark.parametrize('gamma', [0.5, 1.0, 2.0, 4.0])
def test_ppm_matches_the_official_featprop(num_layers, gamma):
    torch.manual_seed(0)
    ppm = PPM(channels=8, num_layers=num_layers, gamma=gamma).eval()
    x = torch.randn(2, 8, 5, 4)
    (out,) = ppm((x,))
    assert out.shape == x.shape
    expected = official_featprop(x, ppm.value_transform, gamma, 0.0)
    torch.testing.assert_close(out, expected, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(out.norm(dim=1), torch.ones(2, 5, 4))


def test_ppm_transform_layouts():
    assert isinstance(PPM(8, num_layers=0).value_transform, torch.nn.Identity)
    one = PPM(8, num_layers=1).value_transform
    assert isinstance(one, torch.nn.Conv2d) and one.bias is not None
    two = PPM(8, num_layers=2).value_transform
    assert [type(m).__name__ for m in two] == ['Conv2d', 'BatchNorm2d', 'ReLU', 'Conv2d']
    with pytest.raises(ValueError, match='0, 1 or 2'):
        PPM(8, num_layers=3)


def test_propagation_weights_are_non_negative_and_sharpened():
    torch.manual_seed(1)
    x = torch.randn(3, 8, 4, 4)
    weights = PPM(8, gamma=2.0).propagation_weights(x)
    assert weights.shape == (3, 16, 16) and (weights >= 0).all()
    # Each pixel is most similar to itself: the diagonal is cos(x_i, x_i) ** 2 = 1.
    torch.testing.assert_close(weights.diagonal(dim1=1, dim2=2), torch.ones(3, 16))
    assert (weights <= 1 + 1e-6).all()


def test_ppm_multi_level_input_shares_the_module():
    ppm = PPM(8)
    levels = (torch.randn(2, 8, 4, 4), torch.randn(2, 8, 2, 2))
    outs = ppm(levels)
    assert isinstance(outs, tuple) and [o.shape for o in outs] == [lvl.shape for lvl in levels]
    torch.testing.assert_close(outs[1], ppm((levels[1],))[0])
    # A bare map is one level: the output is still a per-level tuple.
    single = ppm(levels[0])
    assert isinstance(single, tuple) and len(single) == 1
    torch.testing.assert_close(single[0], outs[0])


def test_ppm_gradients_reach_the_input_and_the_transform():
    ppm = PPM(8, num_layers=1)
    x = torch.randn(2, 8, 3, 3, requires_grad=True)
    (ppm((x,))[0] * torch.randn(2, 8, 3, 3)).sum().backward()
    assert x.grad.abs().sum() > 0
    assert ppm.value_transform.weight.grad.abs().sum() > 0


def test_ppm_rejects_a_fractional_power_of_negative_similarities():
    with pytest.raises(ValueError, match='clamp_min'):
        PPM(8, gamma=0.5, clamp_min=-0.5)
    with pytest.raises(ValueError, match='gamma'):
        PPM(8, gamma=0.0)
