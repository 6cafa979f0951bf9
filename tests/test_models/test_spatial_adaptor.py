"""SpatialAdaptor / SpatialReLU: the GAP invariance, head conversion and the gate."""

import pytest
import torch
import torch.nn as nn

from mmpcd.models.teachers import SpatialAdaptor, SpatialReLU
from mmpcd.registry import MODELS


def mocov3_head(c_in=32, hid=64, out=16):
    """MoCo v3 ResNet projector: Linear-BN-ReLU-Linear (no bias) + BN(affine=False)."""
    return nn.Sequential(
        nn.Linear(c_in, hid, bias=False),
        nn.BatchNorm1d(hid),
        nn.ReLU(),
        nn.Linear(hid, out, bias=False),
        nn.BatchNorm1d(out, affine=False),
    )


def byol_head(c_in=32, hid=64, out=16):
    """BYOL projector as PCD loads it: biased first Linear, unbiased last."""
    return nn.Sequential(
        nn.Linear(c_in, hid, bias=True),
        nn.BatchNorm1d(hid),
        nn.ReLU(),
        nn.Linear(hid, out, bias=False),
    )


def pretrained(head, feat):
    """Give the BN layers non-trivial affine parameters and running statistics."""
    torch.manual_seed(1)
    for module in head:
        if isinstance(module, nn.BatchNorm1d) and module.affine:
            nn.init.uniform_(module.weight, 0.5, 1.5)
            nn.init.uniform_(module.bias, -0.5, 0.5)
    head.train()
    for _ in range(5):
        head(feat.mean(dim=(2, 3)) + torch.randn(feat.size(0), feat.size(1)) * 0.1)
    return head.eval()


@pytest.fixture
def feat():
    torch.manual_seed(0)
    # Positive (post-ReLU) backbone-like maps with within-image spatial variation.
    return torch.rand(16, 32, 5, 5) * 2


@pytest.mark.parametrize('make_head', [mocov3_head, byol_head])
def test_eval_mode_invariance(make_head, feat):
    head = pretrained(make_head(), feat)
    adaptor = SpatialAdaptor.from_vector_head(head, drop_last_bn=True).eval()
    vector_head = head[:4]  # the head PCD uses: MoCo v3's final BN is dropped
    with torch.no_grad():
        expected = vector_head(feat.mean(dim=(2, 3)))
        pooled = adaptor(feat).mean(dim=(2, 3))
    assert (pooled - expected).abs().max() < 1e-5
    # Some channels of the hidden layer must be gated off, or the test proves little.
    hidden = adaptor[1](adaptor[0](feat)).mean(dim=(2, 3))
    assert (hidden < 0).any() and (hidden > 0).any()


def test_kept_last_bn_is_also_invariant(feat):
    head = pretrained(mocov3_head(), feat)
    adaptor = SpatialAdaptor.from_vector_head(head, drop_last_bn=False).eval()
    assert isinstance(adaptor[-1], nn.BatchNorm2d) and not adaptor[-1].affine
    with torch.no_grad():
        diff = adaptor(feat).mean(dim=(2, 3)) - head(feat.mean(dim=(2, 3)))
    assert diff.abs().max() < 1e-5


def test_train_mode_bn_breaks_invariance(feat):
    head = pretrained(mocov3_head(), feat)
    adaptor = SpatialAdaptor.from_vector_head(head).train()
    with torch.no_grad():
        diff = adaptor(feat).mean(dim=(2, 3)) - head[:4](feat.mean(dim=(2, 3)))
    assert diff.abs().max() > 1e-2


def test_a_per_pixel_relu_breaks_invariance(feat):
    """The control: SpatialReLU is what makes the identity exact."""
    head = pretrained(mocov3_head(), feat)
    adaptor = SpatialAdaptor.from_vector_head(head).eval()
    adaptor[2] = nn.ReLU()
    with torch.no_grad():
        diff = adaptor(feat).mean(dim=(2, 3)) - head[:4](feat.mean(dim=(2, 3)))
    assert diff.abs().max() > 1e-2


def test_from_vector_head_copies_weights_and_statistics(feat):
    head = pretrained(byol_head(), feat)
    adaptor = SpatialAdaptor.from_vector_head(head)
    assert adaptor.channels == [32, 64, 16]
    assert torch.equal(adaptor[0].weight[:, :, 0, 0], head[0].weight)
    assert torch.equal(adaptor[0].bias, head[0].bias)
    assert adaptor[3].bias is None
    for name in ('weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked'):
        assert torch.equal(getattr(adaptor[1], name), getattr(head[1], name))
    assert isinstance(adaptor[2], SpatialReLU)
    assert not adaptor.training  # follows the head's mode


def test_from_vector_head_refuses_other_layers():
    with pytest.raises(TypeError, match='Linear, GELU, Linear'):
        SpatialAdaptor.from_vector_head(nn.Sequential(nn.Linear(4, 8), nn.GELU(), nn.Linear(8, 2)))


def test_config_constructor_matches_the_head_layout():
    adaptor = MODELS.build(dict(type='SpatialAdaptor', channels=(2048, 4096, 256), bias=False))
    shapes = {k: tuple(v.shape) for k, v in adaptor.state_dict().items()}
    assert shapes['0.weight'] == (4096, 2048, 1, 1)
    assert shapes['1.running_var'] == (4096,)
    assert shapes['3.weight'] == (256, 4096, 1, 1)
    assert '0.bias' not in shapes and '4.running_mean' not in shapes
    with pytest.raises(ValueError, match='one entry per layer'):
        SpatialAdaptor((8, 8, 8), bias=(True,))


def test_spatial_relu_gate_is_constant_over_space_and_detached():
    torch.manual_seed(0)
    x = torch.randn(3, 6, 4, 4)
    x[0, 0] = torch.tensor([5.0] + [-0.1] * 15).reshape(4, 4)  # mean > 0, mostly negative
    x[0, 1] = torch.tensor([-5.0] + [0.1] * 15).reshape(4, 4)  # mean < 0, mostly positive
    x.requires_grad_(True)
    y = SpatialReLU()(x)
    gate = (x.detach().mean(dim=(2, 3)) > 0).float()
    assert torch.equal(y.detach(), x.detach() * gate[:, :, None, None])
    assert torch.equal(y[0, 0], x[0, 0])  # negative pixels pass: not a per-pixel ReLU
    assert torch.equal(y[0, 1], torch.zeros(4, 4))  # positive pixels blocked
    y.sum().backward()
    # d y / d x is the gate itself: nothing flows through the gate's decision.
    assert torch.equal(x.grad, gate[:, :, None, None].expand_as(x))
