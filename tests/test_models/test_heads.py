"""PixProHead, PixContrastHead, PCDHead: registered, composed from their losses, fp32 inside."""

import pytest
import torch
import torch.nn.functional as F

from mmpcd.models.heads import PCDHead, PixContrastHead, PixProHead
from mmpcd.models.heads.two_view import symmetric_level_mean
from mmpcd.models.losses import pcd_infonce_loss, pixcontrast_loss, pixpro_loss
from mmpcd.registry import MODELS
from mmpcd.utils import register_all_modules
from tests.test_ops.helpers import overlapping_pair

register_all_modules(init_default_scope=False)

SIZES = ((4, 4), (2, 3))  # two levels of different grids


def _two_views(seed: int = 0, channels: int = 8):
    """online, target: per view, per level (N, C, H_l, W_l); coords (N, 2, 4)."""
    gen = torch.Generator().manual_seed(seed)
    maps = [
        [[torch.randn(3, channels, *size, generator=gen) for size in SIZES] for _ in range(2)]
        for _ in range(2)
    ]
    coord_1, coord_2 = overlapping_pair(3, gen)
    return maps[0], maps[1], torch.stack([coord_1, coord_2], dim=1)


def _by_hand(loss, online, target, coords, **kwargs):
    per_level = [
        loss(online[0][lvl], target[1][lvl], coords[:, 0], coords[:, 1], **kwargs)
        + loss(online[1][lvl], target[0][lvl], coords[:, 1], coords[:, 0], **kwargs)
        for lvl in range(len(SIZES))
    ]
    return sum(per_level) / len(SIZES)


def test_pixpro_head_is_the_symmetric_level_mean_of_pixpro_loss():
    online, target, coords = _two_views()
    head = MODELS.build(dict(type='PixProHead', pos_ratio=0.8))
    losses = head.loss(online, target, coords)
    assert set(losses) == {'loss_pixpro'}
    expected = _by_hand(pixpro_loss, online, target, coords, pos_ratio=0.8)
    torch.testing.assert_close(losses['loss_pixpro'], expected)
    # The crop boxes of the two views are not interchangeable.
    swapped = head.loss(online, target, coords.flip(1))['loss_pixpro']
    assert not torch.allclose(swapped, expected, atol=1e-4)
    assert list(head.parameters()) == [] and head.state_dict() == {}


def test_pixcontrast_head_is_the_symmetric_level_mean_of_pixcontrast_loss():
    online, target, coords = _two_views(1)
    head = MODELS.build(dict(type='PixContrastHead', temperature=0.5, neg_ratio=1.2))
    losses = head.loss(online, target, coords)
    assert set(losses) == {'loss_pixcontrast'}
    expected = _by_hand(
        pixcontrast_loss, online, target, coords, pos_ratio=0.7, neg_ratio=1.2, temperature=0.5
    )
    torch.testing.assert_close(losses['loss_pixcontrast'], expected)
    assert head.state_dict() == {}


def test_pcd_head_keeps_its_former_registry_name():
    head = MODELS.build(dict(type='PixelContrastHead', temperature=0.3, chunk_size=5))
    assert type(head) is PCDHead and (head.temperature, head.chunk_size) == (0.3, 5)
    assert MODELS.get('PixelContrastHead') is MODELS.get('PCDHead') is PCDHead


def _bf16(tensors):
    return [[t.bfloat16() for t in levels] for levels in tensors]


@pytest.mark.parametrize(
    'head',
    [PixProHead(impl='pytorch'), PixContrastHead(impl='pytorch')],
    ids=['PixProHead', 'PixContrastHead'],
)
def test_two_view_heads_compute_in_fp32_under_autocast(head):
    online, target, coords = _two_views(2, channels=64)
    online, target = _bf16(online), _bf16(target)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        (got,) = head.loss(online, target, coords).values()
    (expected,) = head.loss(
        [[t.float() for t in v] for v in online], [[t.float() for t in v] for v in target], coords
    ).values()
    assert got.dtype == torch.float32
    torch.testing.assert_close(got, expected, rtol=1e-6, atol=1e-6)


def test_pcd_head_computes_in_fp32_under_autocast():
    gen = torch.Generator().manual_seed(3)
    student = torch.randn(2, 64, 3, 3, generator=gen).bfloat16().requires_grad_()
    teacher = torch.randn(2, 64, 3, 3, generator=gen).bfloat16()
    queue = F.normalize(torch.randn(64, 512, generator=gen), dim=0).bfloat16()
    head = PCDHead(temperature=0.2, chunk_size=0)  # the plain (non-chunked) path
    with torch.autocast('cpu', dtype=torch.bfloat16):
        got = head.loss(student, teacher, queue)
    expected = pcd_infonce_loss(student.float(), teacher.float(), queue.float(), 0.2, 0)
    assert got.dtype == torch.float32
    torch.testing.assert_close(got, expected, rtol=1e-6, atol=1e-6)
    got.backward()
    assert student.grad.dtype == torch.bfloat16 and student.grad.abs().sum() > 0


def test_two_view_inputs_are_checked():
    online, target, coords = _two_views()
    with pytest.raises(ValueError, match='exactly two views'):
        symmetric_level_mean(pixpro_loss, online + online[:1], target, coords)
    with pytest.raises(ValueError, match='same .non-zero. number of levels'):
        symmetric_level_mean(pixpro_loss, online, [target[0], target[1][:1]], coords)
    with pytest.raises(ValueError, match='neg_ratio'):
        PixContrastHead(pos_ratio=0.7, neg_ratio=0.5)
    with pytest.raises(ValueError, match='temperature'):
        PixContrastHead(temperature=0.0)
    with pytest.raises(ValueError, match='pos_ratio'):
        PixProHead(pos_ratio=0.0)
