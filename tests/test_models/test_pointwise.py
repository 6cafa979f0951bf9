"""Per-pixel MLPs computed as GEMMs equal the 1x1-conv modules (values, gradients, BN stats)."""

import copy

import pytest
import torch
import torch.nn as nn

from mmpcd.models import DenseProjection
from mmpcd.models.utils.pointwise import is_pointwise, pointwise_forward


def _mlp():
    return nn.Sequential(
        nn.Conv2d(8, 16, 1, bias=False),
        nn.BatchNorm2d(16),
        nn.ReLU(inplace=True),
        nn.Conv2d(16, 4, 1),
    )


@pytest.mark.parametrize('train', [True, False])
def test_pointwise_forward_equals_the_modules(train):
    torch.manual_seed(0)
    reference = _mlp().train(train)
    ours = copy.deepcopy(reference)
    x = torch.randn(3, 8, 5, 4, requires_grad=True)
    x_ours = x.detach().clone().requires_grad_()
    expected, got = reference(x), pointwise_forward(ours, x_ours)
    torch.testing.assert_close(got, expected, atol=1e-5, rtol=1e-5)
    grad = torch.randn_like(expected)
    expected.backward(grad)
    got.backward(grad)
    torch.testing.assert_close(x_ours.grad, x.grad, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(ours[0].weight.grad, reference[0].weight.grad, atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(ours[1].running_mean, reference[1].running_mean)
    torch.testing.assert_close(ours[1].running_var, reference[1].running_var)


def test_only_per_pixel_layers_qualify():
    assert is_pointwise(_mlp())
    assert not is_pointwise(nn.Sequential(nn.Conv2d(8, 8, 3, padding=1)))
    assert not is_pointwise(nn.Sequential(nn.Conv2d(8, 8, 1, stride=2)))
    assert not is_pointwise(nn.Sequential(nn.Conv2d(8, 8, 1), nn.GroupNorm(2, 8)))


def test_dense_projection_falls_back_for_group_norm():
    neck = DenseProjection(8, 16, 4, norm_cfg=dict(type='GN', num_groups=4), with_global=False)
    assert not neck._pointwise
    x = torch.randn(2, 8, 3, 3)
    torch.testing.assert_close(neck(x)[1][0], neck.mlp2(x))
    assert DenseProjection(8, 16, 4, norm_cfg=dict(type='BN'))._pointwise
