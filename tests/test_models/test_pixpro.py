"""PixPro / PixContrast algorithms: wiring, momentum, branches, errors, a short overfit."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.logging import MessageHub
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope
from mmpretrain.structures import DataSample

from mmpcd.models import PixPro
from mmpcd.models.losses import pixcontrast_loss, pixpro_loss
from mmpcd.registry import MODELS
from mmpcd.utils import register_all_modules

register_all_modules(init_default_scope=False)
pytestmark = pytest.mark.usefixtures('one_thread', 'mmpcd_scope')

MAX_ITERS = 10
DIM = 16


@pytest.fixture(autouse=True)
def max_iters():
    """CosineEMA reads the run's length from the message hub (the runner sets it)."""
    MessageHub.get_current_instance().update_info('max_iters', MAX_ITERS)


def _backbone(**kwargs) -> dict:
    """A narrow ResNet-18: C5 has 128 channels, stride 32."""
    cfg = dict(type='ResNet', depth=18, stem_channels=16, base_channels=16, out_indices=(3,))
    cfg.update(kwargs)
    return cfg


def _projector(in_channels: int = 128) -> dict:
    return dict(
        type='DenseProjection',
        in_channels=in_channels,
        hid_channels=32,
        out_channels=DIM,
        with_global=False,
        norm_cfg=dict(type='BN'),
    )


def _pixpro(**kwargs) -> PixPro:
    cfg = dict(
        type='PixPro',
        backbone=_backbone(),
        projector=_projector(),
        ppm=dict(type='PPM', channels=DIM),
        head=dict(type='PixProHead', pos_ratio=0.7),
    )
    cfg.update(kwargs)
    return MODELS.build(cfg)


def _batch(num: int = 4, size: int = 64, seed: int = 0):
    gen = torch.Generator().manual_seed(seed)
    views = [torch.rand(num, 3, size, size, generator=gen) * 255 for _ in range(2)]
    samples = []
    for _ in range(num):
        low = torch.rand(2, 2, generator=gen) * 0.4
        coord = torch.cat([low, low + 0.4 + torch.rand(2, 2, generator=gen) * 0.2], 1)
        if torch.rand(1, generator=gen) < 0.5:
            coord[1] = coord[1, [2, 1, 0, 3]]  # view 2 flipped
        sample = DataSample()
        sample.set_field(coord.numpy().astype(np.float32), 'coord')
        samples.append(sample)
    return views, samples


def _inputs(model, views, samples):
    data = model.data_preprocessor(dict(inputs=views, data_samples=samples), True)
    return data['inputs'], data['data_samples']


def _coords(samples):
    return torch.stack([torch.as_tensor(s.coord) for s in samples])


def test_loss_is_the_symmetrised_official_loss():
    torch.manual_seed(0)
    model = _pixpro().train()
    views, samples = _batch()
    inputs, samples = _inputs(model, views, samples)
    losses = model.loss(inputs, samples)
    # The first update copies the online weights into the target, and BN uses batch
    # statistics in training, so the online modules reproduce the target's output.
    proj = [model.projector([model.backbone(v)[0]])[1][0] for v in inputs]
    assert proj[0].shape == (4, DIM, 2, 2)
    pred = [model.ppm(p)[0] for p in proj]
    tgt = [F.normalize(p, dim=1) for p in proj]
    coords = _coords(samples)
    expected = pixpro_loss(pred[0], tgt[1], coords[:, 0], coords[:, 1]) + pixpro_loss(
        pred[1], tgt[0], coords[:, 1], coords[:, 0]
    )
    assert set(losses) == {'loss_pixpro'}
    torch.testing.assert_close(losses['loss_pixpro'], expected, atol=1e-5, rtol=1e-5)
    # Crop boxes swapped between the views give another loss: the wiring matters.
    swapped = pixpro_loss(pred[0], tgt[1], coords[:, 1], coords[:, 0]) + pixpro_loss(
        pred[1], tgt[0], coords[:, 0], coords[:, 1]
    )
    assert not torch.allclose(swapped, expected, atol=1e-4)


def test_gradients_reach_the_online_branch_only():
    model = _pixpro().train()
    inputs, samples = _inputs(model, *_batch())
    sum(model.loss(inputs, samples).values()).backward()
    for name in ('backbone', 'projector', 'ppm'):
        grads = [p.grad for p in getattr(model, name).parameters() if p.requires_grad]
        assert grads and all(g is not None for g in grads), name
        assert sum(g.abs().sum() for g in grads) > 0, name
    target = list(model.target_net.parameters())
    assert target and all(not p.requires_grad and p.grad is None for p in target)


@pytest.mark.parametrize('step', [1, MAX_ITERS // 2, MAX_ITERS])
def test_momentum_follows_the_official_cosine_schedule(step):
    """Official: target = mom * target + (1 - mom) * online with
    mom = 1 - (1 - 0.99) * (cos(pi k / K) + 1) / 2, i.e. 0.99 at the start, 0.995 in the
    middle, 1 at the end."""
    model = _pixpro(base_momentum=0.01)
    online = model.projector.mlp2[0].weight
    target = model.target_net.module['projector'].mlp2[0].weight
    with torch.no_grad():
        online.add_(1.0)  # online and target now differ by 1 everywhere
    before = target.detach().clone()
    model.target_net.steps.fill_(step)
    model.target_net.update_parameters(model._momentum_modules())
    official = 1 - (1 - 0.99) * (math.cos(math.pi * step / MAX_ITERS) + 1) / 2
    expected = official * before + (1 - official) * online.detach()
    torch.testing.assert_close(target, expected)
    assert {1: 0.99, 5: 0.995, 10: 1.0}[step] == pytest.approx(official, abs=3e-4)


def test_the_first_update_copies_the_online_weights():
    model = _pixpro()
    with torch.no_grad():
        model.projector.mlp2[0].weight.add_(1.0)
    model.target_net.update_parameters(model._momentum_modules())
    torch.testing.assert_close(
        model.target_net.module['projector'].mlp2[0].weight, model.projector.mlp2[0].weight
    )


def test_the_target_follows_backbone_projector_and_instance_projector_only():
    model = _pixpro(ins_loss_weight=1.0, ins_projector=_projector(), ins_predictor=_projector(DIM))
    assert set(model.target_net.module.keys()) == {'backbone', 'projector', 'ins_projector'}


def test_fpn_levels_each_use_their_own_mask_and_are_averaged():
    torch.manual_seed(0)
    model = _pixpro(
        backbone=_backbone(out_indices=(0, 1, 2, 3)),
        neck=dict(type='mmdet.FPN', in_channels=[16, 32, 64, 128], out_channels=DIM, num_outs=5),
        loss_levels=(1, 2, 3, 4),
        projector=_projector(DIM),
    ).train()
    inputs, samples = _inputs(model, *_batch(size=128))
    loss = model.loss(inputs, samples)['loss_pixpro']
    coords = _coords(samples)
    levels = [model.neck(model.backbone(v))[1:] for v in inputs]
    assert [lvl.shape[-1] for lvl in levels[0]] == [16, 8, 4, 2]  # P3-P6 at 128 px
    per_level = []
    for lvl in range(4):
        proj = [model.projector(levels[v][lvl])[1][0] for v in range(2)]
        pred = [model.ppm(p)[0] for p in proj]
        per_level.append(
            pixpro_loss(pred[0], proj[1], coords[:, 0], coords[:, 1])
            + pixpro_loss(pred[1], proj[0], coords[:, 1], coords[:, 0])
        )
    torch.testing.assert_close(loss, sum(per_level) / 4, atol=1e-5, rtol=1e-5)
    # The FPN sits under `neck.`, as mmdet's detectors name it (prefix='neck.' loads it).
    assert any(k.startswith('neck.lateral_convs.0.') for k in model.state_dict())


def test_loss_levels_outside_the_neck_are_a_clear_error():
    model = _pixpro(
        backbone=_backbone(out_indices=(2, 3)), loss_levels=(0, 2), projector=_projector()
    )
    inputs, samples = _inputs(model, *_batch())
    with pytest.raises(ValueError, match='loss_levels'):
        model.loss(inputs, samples)


def test_byol_instance_branch_regresses_the_other_views_pooled_target():
    torch.manual_seed(0)
    model = _pixpro(
        ins_loss_weight=0.5, ins_projector=_projector(), ins_predictor=_projector(DIM)
    ).train()
    inputs, samples = _inputs(model, *_batch())
    losses = model.loss(inputs, samples)
    c5 = [model.backbone(v)[0] for v in inputs]
    pred, tgt = [], []
    for feat in c5:
        proj = model.ins_projector(feat)[1][0]
        pred.append(F.normalize(model.ins_predictor(proj)[1][0].mean((2, 3)), dim=1))
        tgt.append(F.normalize(proj.mean((2, 3)), dim=1))
    expected = 0.5 * -2 * ((pred[0] * tgt[1]).sum(1).mean() + (pred[1] * tgt[0]).sum(1).mean())
    torch.testing.assert_close(losses['loss_instance'], expected, atol=1e-5, rtol=1e-5)


def test_simclr_instance_branch_is_nt_xent_of_the_pooled_projections():
    torch.manual_seed(0)
    model = _pixpro(
        ins_loss_weight=1.0, ins_loss='simclr', ins_projector=_projector(), ins_temperature=0.5
    ).train()
    inputs, samples = _inputs(model, *_batch())
    losses = model.loss(inputs, samples)
    z = [F.normalize(model.ins_projector(model.backbone(v)[0])[2][0], dim=1) for v in inputs]
    n = z[0].size(0)
    total = 0.0
    for a, b in ((0, 1), (1, 0)):
        for i in range(n):
            others = torch.cat([z[a][torch.arange(n) != i], z[b]])
            logits = others @ z[a][i] / 0.5
            positive = (z[a][i] * z[b][i]).sum() / 0.5
            total = total - (positive - torch.logsumexp(logits, 0))
    torch.testing.assert_close(losses['loss_instance'], total / (2 * n), atol=1e-5, rtol=1e-5)


def test_pixcontrast_contrasts_projections_without_a_ppm():
    torch.manual_seed(0)
    model = MODELS.build(
        dict(
            type='PixContrast',
            backbone=_backbone(),
            projector=_projector(),
            head=dict(type='PixContrastHead', temperature=0.3),
        )
    ).train()
    assert model.ppm is None
    inputs, samples = _inputs(model, *_batch())
    losses = model.loss(inputs, samples)
    proj = [model.projector([model.backbone(v)[0]])[1][0] for v in inputs]
    coords = _coords(samples)
    expected = pixcontrast_loss(proj[0], proj[1], coords[:, 0], coords[:, 1]) + pixcontrast_loss(
        proj[1], proj[0], coords[:, 1], coords[:, 0]
    )
    assert set(losses) == {'loss_pixcontrast'}
    torch.testing.assert_close(losses['loss_pixcontrast'], expected, atol=1e-5, rtol=1e-5)


def test_bad_configs_and_inputs_are_clear_errors():
    with pytest.raises(ValueError, match='official/MoCo convention.*pass 0.01'):
        _pixpro(base_momentum=0.99)
    with pytest.raises(ValueError, match='needs a `ppm`'):
        _pixpro(ppm=None)
    with pytest.raises(ValueError, match='ins_projector'):
        _pixpro(ins_loss_weight=1.0)
    with pytest.raises(ValueError, match='ins_predictor'):
        _pixpro(ins_loss_weight=1.0, ins_projector=_projector())
    with pytest.raises(ValueError, match='has no PPM; set .ppm=None.'):
        MODELS.build(
            dict(
                type='PixContrast',
                backbone=_backbone(),
                projector=_projector(),
                head=dict(type='PixContrastHead'),
                ppm=dict(type='PPM'),
            )
        )
    # Configs written before the heads name the loss's arguments on the model.
    with pytest.raises(ValueError, match=r"\['pos_ratio'\] are arguments of the head now"):
        _pixpro(pos_ratio=0.7)
    with pytest.raises(ValueError, match=r"\['neg_ratio', 'temperature'\] are arguments of the"):
        MODELS.build(
            dict(
                type='PixContrast',
                backbone=_backbone(),
                projector=_projector(),
                head=dict(type='PixContrastHead'),
                temperature=0.3,
                neg_ratio=1.0,
            )
        )
    with pytest.raises(TypeError, match=r"unexpected arguments \['gamma'\]"):
        _pixpro(gamma=2.0)
    model = _pixpro()
    views, samples = _batch()
    with pytest.raises(ValueError, match=r"MultiViewWithCoord.*algorithm_keys=\['coord'\]"):
        model.loss(views, [DataSample() for _ in samples])
    with pytest.raises(ValueError, match='exactly two views'):
        model.loss(views[:1], samples)


def test_recipe_excludes_every_1d_parameter_from_decay_and_lars(repo_root):
    cfg = Config.fromfile(
        f'{repo_root}/configs/pixpro/pixpro-ins_resnet50_8xb128-lars-coslr-100e_in1k.py'
    )
    assert cfg.optim_wrapper.type == 'AmpOptimWrapper'
    cfg.model.backbone.update(depth=18, norm_cfg=dict(type='BN'))
    for key, channels in (('projector', 512), ('ins_projector', 512), ('ins_predictor', 256)):
        cfg.model[key].update(in_channels=channels, hid_channels=64, norm_cfg=dict(type='BN'))
    model = MODELS.build(cfg.model)
    optim_cfg = cfg.optim_wrapper.copy()
    optim_cfg.pop('loss_scale')
    optim_cfg.type = 'OptimWrapper'  # AMP needs a GPU
    with DefaultScope.overwrite_default_scope('mmpcd'):  # LARS is mmpretrain's
        optimizer = build_optim_wrapper(model, optim_cfg).optimizer
    groups = {id(p): g for g in optimizer.param_groups for p in g['params']}
    for name, param in model.named_parameters():
        if not param.requires_grad:
            continue
        group = groups[id(param)]
        # The official rule (PixProLARS): 1-D parameters by shape, as add_weight_decay.
        excluded = optimizer.is_excluded(group, param)
        weight_decay = optimizer.weight_decay_of(group, param)
        if param.dim() == 1:
            assert weight_decay == 0 and excluded, name
        else:
            assert weight_decay == 1e-5 and not excluded, name


def test_a_short_overfit_run_lowers_the_loss():
    """A fixed batch, 40 LARS-free SGD steps: PixPro's loss (>= -4) must fall clearly, not
    by noise (its start is near 0 for a random network)."""
    torch.manual_seed(0)
    MessageHub.get_current_instance().update_info('max_iters', 40)
    model = _pixpro().train()
    inputs, samples = _inputs(model, *_batch(num=8, size=96))
    optimizer = torch.optim.SGD(
        [p for p in model.parameters() if p.requires_grad], lr=0.05, momentum=0.9, weight_decay=1e-5
    )
    history = []
    for _ in range(40):
        loss = model.loss(inputs, samples)['loss_pixpro']
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        history.append(loss.item())
    start, end = np.mean(history[:3]), np.mean(history[-5:])
    assert end < start - 1.0, history
    assert end >= -4.0
