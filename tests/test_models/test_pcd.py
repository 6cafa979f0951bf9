"""PCD algorithm: loss, pairing geometry, frozen eval-mode teacher, queue, export."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmpretrain.structures import DataSample

from mmpcd.models.losses import pcd_infonce_loss
from mmpcd.registry import MODELS
from mmpcd.utils import register_all_modules

register_all_modules(init_default_scope=False)
pytestmark = pytest.mark.usefixtures('mmpcd_scope')

SMALL_RESNET = dict(type='ResNet', depth=18, base_channels=8, out_indices=(3,))  # 64 channels


def build_pcd(pairing='same_view', teacher_bn='eval', mhsa=True, queue_len=16):
    model = MODELS.build(
        dict(
            type='PCD',
            queue_len=queue_len,
            feat_dim=16,
            pairing=pairing,
            teacher_bn=teacher_bn,
            backbone=SMALL_RESNET,
            neck=dict(
                type='PCDStudentNeck',
                in_channels=64,
                hid_channels=32,
                out_channels=16,
                mhsa=dict(type='MHSA', in_channels=64, feat_size=2) if mhsa else None,
            ),
            head=dict(type='PCDHead', temperature=0.2),
            teacher=dict(
                backbone=SMALL_RESNET,
                adaptor=dict(type='SpatialAdaptor', channels=(64, 32, 16)),
                checkpoint='random',
            ),
        )
    )
    model.init_weights()
    return model.train()


def views(n=4, size=64):
    torch.manual_seed(0)
    return [torch.randn(n, 3, size, size), torch.randn(n, 3, size, size)]


def samples(coords):
    out = []
    for coord in coords:
        sample = DataSample()
        sample.set_field(np.asarray(coord, dtype=np.float32), 'coord', field_type='metainfo')
        out.append(sample)
    return out


def test_loss_is_the_reference_formula_and_trains_only_the_student():
    model = build_pcd()
    inputs = views()
    queue = model.queue.clone()
    losses = model.loss(inputs, [])
    assert set(losses) == {'loss', 'acc_top1', 'acc_top5'}
    with torch.no_grad():
        s = [model.neck(model.backbone(v))[0] for v in inputs]
        t = [model.teacher(v) for v in inputs]
    expected = (pcd_infonce_loss(s[0], t[0], queue) + pcd_infonce_loss(s[1], t[1], queue)) / 2
    assert torch.allclose(losses['loss'], expected, atol=1e-5)
    losses['loss'].backward()
    assert all(p.grad is None for p in model.teacher.parameters())
    assert all(p.grad is not None for p in model.backbone.parameters())
    assert model.neck.mhsa.blocks[0].qkv.weight.grad.abs().sum() > 0


def test_teacher_stays_in_eval_mode_and_keeps_its_statistics():
    model = build_pcd()
    assert model.training and not model.teacher.training
    assert not model.teacher.adaptor[1].training
    stats = model.teacher.adaptor[1].running_mean.clone()
    model.loss(views(), [])
    assert torch.equal(model.teacher.adaptor[1].running_mean, stats)
    # The released code's behaviour: the teacher follows model.train() and uses batch stats.
    released = build_pcd(teacher_bn='train')
    assert released.teacher.training
    stats = released.teacher.adaptor[1].running_mean.clone()
    released.loss(views(), [])
    assert not torch.equal(released.teacher.adaptor[1].running_mean, stats)
    assert not released.eval().teacher.training


def test_queue_receives_view1_teacher_keys_after_the_loss():
    model = build_pcd(queue_len=8)
    inputs = views(n=4)
    with torch.no_grad():
        keys = F.normalize(model.teacher(inputs[0]).mean(dim=(2, 3)), dim=1)
    before = model.queue.clone()
    model.loss(inputs, [])
    assert torch.allclose(model.queue[:, :4], keys.t(), atol=1e-6)
    assert torch.equal(model.queue[:, 4:], before[:, 4:])
    assert int(model.queue_ptr) == 4
    model.loss(inputs, [])
    assert int(model.queue_ptr) == 0  # wrapped around
    assert {'queue', 'queue_ptr'} <= set(model.state_dict())
    with pytest.raises(ValueError, match=r'smaller than the global batch size \(9 per process'):
        model.loss(views(n=9), [])


def test_monitor_accuracy():
    # Orthonormal keys (columns 0-3) and queue entries (columns 4-11): exact logits.
    basis = torch.linalg.qr(torch.randn(16, 16, generator=torch.Generator().manual_seed(0)))[0]
    key, queue = basis[:, :4].t(), basis[:, 4:12]
    perfect = key[:, :, None, None].expand(4, 16, 2, 2)
    acc = type(build_pcd()).monitor_accuracy(perfect, key, queue)
    assert acc['acc_top1'] == 100 and acc['acc_top5'] == 100
    # Closer to one queue entry than to its key: that negative ranks first, the key second.
    worse = (queue[:, :4].t() + 0.5 * key)[:, :, None, None].expand(4, 16, 2, 2)
    acc = type(build_pcd()).monitor_accuracy(worse, key, queue)
    assert acc['acc_top1'] == 0 and acc['acc_top5'] == 100
    # Another image's key is not this image's positive (the released code's label-0 slip).
    shifted = key.roll(1, dims=0) + 0.1 * queue[:, :6].sum(dim=1)  # 6 negatives beat the key
    shifted = shifted[:, :, None, None].expand(4, 16, 2, 2)
    assert type(build_pcd()).monitor_accuracy(shifted, key, queue)['acc_top5'] == 0


# --------------------------------------------------------------------------------------------
# Pairing: maps whose channels encode (view id, x, y of the cell centre in the original image).


def position_map(coord, view_id, n=2, size=8):
    """(n, 3, size, size): channel 0 = view id, 1/2 = original-image x/y of the cell
    centre, for a view cropped at ``coord`` = [x_ul, y_ul, x_lr, y_lr] (flip: x swapped)."""
    centre = (torch.arange(size, dtype=torch.float32) + 0.5) / size
    x = coord[0] + centre * (coord[2] - coord[0])
    y = coord[1] + centre * (coord[3] - coord[1])
    yy, xx = torch.meshgrid(y, x, indexing='ij')
    return torch.stack([torch.full_like(xx, float(view_id)), xx, yy])[None].repeat(n, 1, 1, 1)


C1 = [0.1, 0.2, 0.7, 0.8]
C2 = [0.9, 0.4, 0.3, 1.0]  # horizontally flipped, overlapping C1 on x [0.3, 0.7], y [0.4, 0.8]


@pytest.mark.parametrize('pairing', ['same_view', 'cross_view_grid', 'cross_view_aligned'])
def test_pairing_geometry(pairing):
    model = build_pcd(pairing=pairing)
    student = (position_map(C1, 1), position_map(C2, 2))
    teacher = (position_map(C1, 1), position_map(C2, 2))
    pairs = model.pair(student, teacher, samples([[C1, C2], [C1, C2]]))
    assert len(pairs) == 2
    for (s, t), student_view in zip(pairs, (1, 2)):
        assert (s[:, 0] == student_view).all()
        teacher_view = student_view if pairing == 'same_view' else 3 - student_view
        assert (t[:, 0] == teacher_view).all()
        offset = (s[:, 1:] - t[:, 1:]).abs().max()
        if pairing == 'cross_view_grid':
            # Same grid cell, different image content: what the released code contrasts.
            assert torch.equal(s, student[student_view - 1])
            assert torch.equal(t, teacher[teacher_view - 1])
            assert offset > 0.3
        else:
            # Equal original-image locations; RoIAlign's clamping at a crop's border costs
            # at most half a source cell (0.6 / 8 / 2).
            assert offset < 0.04
    if pairing == 'cross_view_aligned':
        s, t = pairs[0]
        assert s.shape == (2, 3, 8, 8)
        # The resampled cells tile the intersection in the original image's orientation.
        assert torch.allclose(s[0, 1, 0, 1:-1], 0.3 + (torch.arange(1, 7) + 0.5) * 0.05, atol=1e-4)
        assert s[0, 1, 0, 0] >= 0.3 - 1e-6 and s[0, 1, 0, -1] <= 0.7 + 1e-6


def test_aligned_pairing_skips_images_without_overlap():
    model = build_pcd(pairing='cross_view_aligned')
    apart = [[0.0, 0.0, 0.3, 0.3], [0.5, 0.5, 1.0, 1.0]]
    inputs = views(n=4)
    pairs = model.pair(
        (position_map(C1, 1, n=4),) * 2,
        (position_map(C2, 2, n=4),) * 2,
        samples([[C1, C2], apart, [C1, C2], apart]),
    )
    assert pairs[0][0].shape[0] == 2
    # Overlapping images train through the resampling (RoIAlign's backward) ...
    losses = model.loss(inputs, samples([[C1, C2], apart, [C1, C2], apart]))
    assert losses['loss'] > 0
    losses['loss'].backward()
    assert model.backbone.conv1.weight.grad.abs().sum() > 0
    # ... and a batch without any overlap gives a zero loss.
    model.zero_grad()
    losses = model.loss(inputs, samples([apart] * 4))
    assert losses['loss'] == 0
    losses['loss'].backward()  # still connected to the student: DDP sees every parameter
    assert all(p.grad is not None for p in model.backbone.parameters())
    with pytest.raises(ValueError, match='MultiViewWithCoord'):
        model.loss(inputs, [DataSample() for _ in range(4)])


def test_export_holds_only_the_student_backbone():
    model = build_pcd()
    feats = model.extract_feat(views()[0])
    assert feats[0].shape == (4, 64, 2, 2)
    assert not any('mhsa' in k or 'teacher' in k for k in model.backbone.state_dict())
    assert any(k.startswith('neck.mhsa.') for k in model.state_dict())


def test_bad_options():
    with pytest.raises(ValueError, match='Unknown PCD pairing'):
        build_pcd(pairing='cross_view')
    with pytest.raises(ValueError, match='Unknown PCD teacher_bn'):
        build_pcd(teacher_bn='frozen')
