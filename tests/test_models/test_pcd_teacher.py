"""PCD teacher loading from synthetic checkpoints in every supported layout, when training
starts (init_weights), never when the teacher is built."""

import pytest
import torch
import torch.nn as nn
import torchvision

from mmpcd.models.teachers import LAYOUTS, PCDTeacher
from mmpcd.registry import MODELS
from mmpcd.utils import register_all_modules

register_all_modules(init_default_scope=False)

R18 = dict(type='ResNet', depth=18, out_indices=(3,))


def randomise_bn(module: nn.Module) -> None:
    """Non-trivial affine parameters and running statistics, as a pretrained net has."""
    torch.manual_seed(0)
    for m in module.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            if m.affine:
                nn.init.uniform_(m.weight, 0.5, 1.5)
                nn.init.uniform_(m.bias, -0.2, 0.2)
            m.running_mean.uniform_(-0.2, 0.2)
            m.running_var.uniform_(0.5, 2.0)


def torch_head(hid=64, out=32, first_bias=False, last_bias=False, last_bn=True):
    layers = [
        nn.Linear(512, hid, bias=first_bias),
        nn.BatchNorm1d(hid),
        nn.ReLU(),
        nn.Linear(hid, out, bias=last_bias),
    ]
    if last_bn:
        layers.append(nn.BatchNorm1d(out, affine=False))
    return nn.Sequential(*layers)


def torchvision_encoder(**head_kwargs):
    """A torchvision ResNet-18 whose fc is the projection head (MoCo v3 / BYOL style)."""
    encoder = torchvision.models.resnet18()
    encoder.fc = torch_head(**head_kwargs)
    randomise_bn(encoder)
    return encoder.eval()


def torchvision_features(encoder, x):
    for name in ('conv1', 'bn1', 'relu', 'maxpool', 'layer1', 'layer2', 'layer3', 'layer4'):
        x = getattr(encoder, name)(x)
    return x


def build_teacher(path, layout, adaptor_channels=(512, 64, 32), bias=False, depth=18):
    """The teacher as the runner gives it to training: built, then ``init_weights()``."""
    teacher = PCDTeacher(
        backbone=dict(R18, depth=depth),
        adaptor=dict(type='SpatialAdaptor', channels=adaptor_channels, bias=bias),
        checkpoint=str(path),
        layout=layout,
    )
    teacher.init_weights()
    return teacher.eval()


def assert_teacher_matches(teacher, encoder_features, vector_head):
    """Backbone maps equal, and GAP(teacher(x)) equals the vector head on GAP(features)."""
    torch.manual_seed(1)
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        feats = encoder_features(x)
        assert torch.allclose(teacher.backbone(x)[0], feats, atol=1e-5)
        expected = vector_head(feats.mean(dim=(2, 3)))
        assert torch.allclose(teacher(x).mean(dim=(2, 3)), expected, atol=1e-5)


@pytest.fixture(scope='module')
def mocov3_official(tmp_path_factory):
    """facebookresearch/moco-v3 layout: base + momentum encoders (fc = projector) and the
    predictor under ``state_dict``."""
    momentum = torchvision_encoder()
    state = {f'module.momentum_encoder.{k}': v for k, v in momentum.state_dict().items()}
    state.update(
        {f'module.base_encoder.{k}': v.clone() + 1 for k, v in momentum.state_dict().items()}
    )
    state['module.predictor.0.weight'] = torch.randn(64, 32)
    path = tmp_path_factory.mktemp('ckpt') / 'r-18-mocov3.pth.tar'
    torch.save(dict(epoch=100, arch='resnet18', state_dict=state), path)
    return path, momentum


def test_official_mocov3_layout(mocov3_official):
    path, momentum = mocov3_official
    teacher = build_teacher(path, 'mocov3')
    assert_teacher_matches(
        teacher, lambda x: torchvision_features(momentum, x), momentum.fc[:4]
    )  # fc.4 (affine-free BN) dropped
    assert not any(p.requires_grad for p in teacher.parameters())


def test_mmpretrain_mocov3_layout(tmp_path):
    neck = dict(
        type='NonLinearNeck',
        in_channels=512,
        hid_channels=64,
        out_channels=32,
        num_layers=2,
        with_bias=False,
        with_last_bn=True,
        with_last_bn_affine=False,
        with_last_bias=False,
        with_avg_pool=True,
    )
    predictor = dict(neck, in_channels=32, with_avg_pool=False)
    mocov3 = MODELS.build(
        dict(
            type='MoCoV3',
            backbone=dict(type='ResNet', depth=18),
            neck=neck,
            head=dict(
                type='MoCoV3Head',
                predictor=predictor,
                temperature=1.0,
                loss=dict(type='CrossEntropyLoss', loss_weight=2.0),
            ),
        )
    )
    encoder = mocov3.momentum_encoder.module
    randomise_bn(encoder)
    encoder.eval()
    path = tmp_path / 'mmpretrain_mocov3.pth'
    torch.save(dict(meta=dict(epoch=100), state_dict=mocov3.state_dict()), path)

    teacher = build_teacher(path, 'mmpretrain_mocov3')
    head = encoder[1]
    assert_teacher_matches(
        teacher, lambda x: encoder[0](x)[0], lambda v: head.fc1(head.relu(head.bn0(head.fc0(v))))
    )


def test_byol_layout(tmp_path):
    target = torchvision_encoder(first_bias=True, last_bn=False)
    state = {f'module.target_encoder.{k}': v for k, v in target.state_dict().items()}
    state['module.online_encoder.conv1.weight'] = torch.randn(64, 3, 7, 7)
    path = tmp_path / 'byol.pth'
    torch.save(dict(model=state), path)
    teacher = build_teacher(path, 'byol', bias=(True, False))
    assert_teacher_matches(teacher, lambda x: torchvision_features(target, x), target.fc)


def test_swav_layout(tmp_path):
    encoder = torchvision_encoder(first_bias=True, last_bias=True, last_bn=False)
    head = encoder.fc
    state = {f'module.{k}': v for k, v in encoder.state_dict().items() if not k.startswith('fc.')}
    state.update({f'module.projection_head.{k}': v for k, v in head.state_dict().items()})
    state['module.prototypes.weight'] = torch.randn(100, 32)
    path = tmp_path / 'swav.pth'
    torch.save(state, path)  # SwAV saves the bare state dict
    teacher = build_teacher(path, 'swav', bias=True)
    assert_teacher_matches(teacher, lambda x: torchvision_features(encoder, x), head)


def test_barlow_twins_layout(tmp_path):
    encoder = torchvision_encoder()
    projector = nn.Sequential(
        nn.Linear(512, 48, bias=False),
        nn.BatchNorm1d(48),
        nn.ReLU(),
        nn.Linear(48, 48, bias=False),
        nn.BatchNorm1d(48),
        nn.ReLU(),
        nn.Linear(48, 40, bias=False),
    )
    randomise_bn(projector)
    projector.eval()
    state = {
        f'module.backbone.{k}': v
        for k, v in encoder.state_dict().items()
        if not k.startswith('fc.')
    }
    state.update({f'module.projector.{k}': v for k, v in projector.state_dict().items()})
    state['module.bn.running_mean'] = torch.zeros(40)  # the loss-only BN
    path = tmp_path / 'barlow.pth'
    torch.save(dict(model=state), path)
    teacher = build_teacher(path, 'barlow_twins', adaptor_channels=(512, 48, 48, 40))
    assert_teacher_matches(teacher, lambda x: torchvision_features(encoder, x), projector)


def test_wrong_layout_names_the_right_one(mocov3_official):
    path, _ = mocov3_official
    with pytest.raises(ValueError) as error:
        build_teacher(path, 'mmpretrain_mocov3')
    message = str(error.value)
    assert 'is not a mmpretrain MoCoV3 checkpoint' in message
    assert "no keys start with 'momentum_encoder.module.0.'" in message
    assert "It looks like layout ['mocov3']" in message
    assert 'Set model.teacher.layout' in message


def test_mismatched_architecture_lists_the_keys(mocov3_official):
    path, _ = mocov3_official
    with pytest.raises(ValueError, match=r'missing backbone keys .*layer1\.2\.conv1\.weight'):
        build_teacher(path, 'mocov3', depth=34)
    with pytest.raises(
        ValueError,
        match=r'head shape mismatches .*0\.weight \(64, 512, 1, 1\) '
        r'vs \(128, 512, 1, 1\)',
    ):
        build_teacher(path, 'mocov3', adaptor_channels=(512, 128, 32))
    with pytest.raises(ValueError, match=r'missing head keys .*0\.bias'):
        build_teacher(path, 'mocov3', bias=True)


def test_missing_and_unset_checkpoints(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.pth does not exist'):
        build_teacher(tmp_path / 'nope.pth', 'mocov3')
    with pytest.raises(ValueError, match='has no checkpoint'):
        PCDTeacher(backbone=R18, adaptor=dict(type='SpatialAdaptor', channels=(512, 8)))
    with pytest.raises(ValueError, match='Unknown teacher layout'):
        build_teacher(tmp_path / 'nope.pth', 'dino')
    assert set(LAYOUTS) == {
        'mocov3',
        'mmpretrain_mocov3',
        'byol',
        'swav',
        'barlow_twins',
        'mocov3_vit',
    }


def test_building_reads_nothing(tmp_path, monkeypatch):
    """The checkpoint is read in init_weights: building the teacher (so the model, e.g. for a
    config check or a test loop) neither opens the file nor resolves a zoo name."""
    import mmpcd.models.teachers.checkpointed_teacher as lazy

    calls = []
    monkeypatch.setattr(lazy, 'read_checkpoint', lambda *a, **k: calls.append(a))
    monkeypatch.setattr(lazy, 'resolve', lambda *a, **k: calls.append(a))
    teacher = PCDTeacher(
        backbone=R18,
        adaptor=dict(type='SpatialAdaptor', channels=(512, 8)),
        checkpoint='mocov3_resnet50_official-1000e_in1k',
    )
    assert calls == [] and not any(p.requires_grad for p in teacher.parameters())
    with pytest.raises(Exception):
        teacher.init_weights()
    assert calls  # resolved only now


def test_random_teacher_is_initialised_and_warned(monkeypatch):
    import mmpcd.models.teachers.checkpointed_teacher as lazy

    logged = []
    monkeypatch.setattr(lazy, 'print_log', lambda msg, **kw: logged.append((msg, kw)))
    teacher = PCDTeacher(
        backbone=R18, adaptor=dict(type='SpatialAdaptor', channels=(512, 8)), checkpoint='random'
    )
    assert teacher.is_random
    teacher.init_weights()
    assert any('the teacher is RANDOM' in msg and kw.get('level') == 30 for msg, kw in logged)
    assert not any(p.requires_grad for p in teacher.parameters())
