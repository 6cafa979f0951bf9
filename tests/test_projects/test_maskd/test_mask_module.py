"""MaskModule and the Dice diversity loss against direct computations."""

import math

import pytest
import torch
import torch.nn.functional as F

from projects.maskd.maskd import MaskModule, dice_coefficient

from .helpers import official_masks


def naive_dice(masks: torch.Tensor, eps: float = 1e-12) -> torch.Tensor:
    """Loop over token pairs of the flattened masks, as the formula reads."""
    n, t = masks.shape[:2]
    flat = masks.reshape(n, t, -1)
    total = 0.0
    for i in range(t):
        for j in range(t):
            if i != j:
                inter = (flat[:, i] * flat[:, j]).sum(-1)
                union = flat[:, i].pow(2).sum(-1) + flat[:, j].pow(2).sum(-1) + 2 * eps
                total = total + (2 * inter / union).sum()
    return total / (n * t * (t - 1))


@pytest.fixture
def module():
    torch.manual_seed(0)
    return MaskModule(8, num_tokens=3).double()


def test_parameter_names_and_shapes_match_the_official_checkpoints():
    shapes = {k: tuple(v.shape) for k, v in MaskModule(256, 6).state_dict().items()}
    assert shapes == {
        'mask_token': (6, 256),
        'prob.0.weight': (256, 256, 3, 3),
        'prob.0.bias': (256,),
        'prob.2.weight': (6, 256, 1, 1),
        'prob.2.bias': (6,),
    }
    assert set(MaskModule(19, 8, weight_mask=False).state_dict()) == {'mask_token'}


def test_initialisation_follows_the_official_code():
    torch.manual_seed(0)
    module = MaskModule(64, 6)
    assert module.mask_token.std().item() == pytest.approx(0.01, rel=0.1)
    # He normal with fan_out = k * k * out_channels; zero biases.
    assert module.prob[0].weight.std().item() == pytest.approx(math.sqrt(2 / (9 * 64)), rel=0.05)
    assert module.prob[2].weight.std().item() == pytest.approx(math.sqrt(2 / 6), rel=0.2)
    assert not module.prob[0].bias.any() and not module.prob[2].bias.any()


def test_masks_and_weights_equal_the_direct_computation(module):
    feat = torch.randn(2, 8, 5, 7, dtype=torch.float64)
    torch.testing.assert_close(module.forward_mask(feat), official_masks(module.mask_token, feat))
    conv = F.conv2d(feat, module.prob[0].weight, module.prob[0].bias, padding=1)
    logits = F.conv2d(conv.mean((2, 3), keepdim=True), module.prob[2].weight, module.prob[2].bias)
    torch.testing.assert_close(module.forward_prob(feat), logits.flatten(1).softmax(1))


@pytest.mark.parametrize('weight_mask', [True, False])
def test_forward_train_is_the_weighted_sum_of_masked_features(weight_mask):
    torch.manual_seed(1)
    module = MaskModule(8, 3, weight_mask=weight_mask).double()
    feat = torch.randn(2, 8, 4, 6, dtype=torch.float64)
    masks = official_masks(module.mask_token, feat)
    masked = masks.unsqueeze(2) * feat.unsqueeze(1)  # (N, T, C, H, W), the official form
    if weight_mask:
        masked = masked * module.forward_prob(feat)[:, :, None, None, None]
    out, div = module.forward_train(feat)
    torch.testing.assert_close(out, masked.sum(1))
    torch.testing.assert_close(div, naive_dice(masks))


def test_dice_bounds_and_extremes():
    torch.manual_seed(2)
    masks = torch.rand(3, 4, 6, 6, dtype=torch.float64)
    value = dice_coefficient(masks)
    assert 0 <= value <= 1
    torch.testing.assert_close(value, naive_dice(masks))
    same = masks[:, :1].expand(-1, 4, -1, -1)
    assert dice_coefficient(same).item() == pytest.approx(1.0)
    disjoint = torch.zeros(1, 2, 4, 4, dtype=torch.float64)
    disjoint[0, 0, :2] = 1
    disjoint[0, 1, 2:] = 1
    assert dice_coefficient(disjoint).item() == 0.0


def test_dice_gradient_makes_the_tokens_more_diverse():
    torch.manual_seed(3)
    module = MaskModule(8, 4, weight_mask=False)
    feat = torch.randn(2, 8, 6, 6)
    optimiser = torch.optim.SGD(module.parameters(), lr=5.0)
    before = dice_coefficient(module.forward_mask(feat)).item()
    for _ in range(20):
        optimiser.zero_grad()
        dice_coefficient(module.forward_mask(feat)).backward()
        optimiser.step()
    after = dice_coefficient(module.forward_mask(feat)).item()
    assert after < before - 0.1


def test_bad_inputs_are_clear_errors(module):
    with pytest.raises(ValueError, match=r'expects a feature \(N, 8, H, W\)'):
        module.forward_mask(torch.randn(1, 4, 3, 3, dtype=torch.float64))
    with pytest.raises(ValueError, match='T >= 2'):
        dice_coefficient(torch.rand(1, 1, 3, 3))
    with pytest.raises(RuntimeError, match='weight_mask=True'):
        MaskModule(4, 2, weight_mask=False).forward_prob(torch.randn(1, 4, 2, 2))
