"""Stage 1 (MaskLearner) on tiny teachers: only the tokens learn, the teacher stays put."""

import pytest
import torch
from mmengine.optim import OptimWrapper

from projects.maskd.maskd.recorders import ModuleRecorder

from .helpers import (
    DET,
    DET_TOKENS,
    SEG,
    SEG_TOKENS,
    batch,
    build,
    load_config,
    params,
    save_weights,
)


@pytest.fixture(scope='module')
def det_teacher_ckpt(tmp_path_factory):
    torch.manual_seed(0)
    teacher = build(load_config(DET).model)
    return save_weights(teacher, tmp_path_factory.mktemp('teacher') / 'teacher.pth')


def learner(name: str, teacher_ckpt: str):
    cfg = load_config(name)
    cfg.model.teacher_ckpt = teacher_ckpt
    model = build(cfg.model)
    model.init_weights()  # the runner's start of training: reads the teacher
    return cfg, model


def test_detection_learner_trains_only_the_tokens(det_teacher_ckpt, one_thread):
    cfg, model = learner(DET_TOKENS, det_teacher_ckpt)
    reference = torch.load(det_teacher_ckpt, weights_only=True)['state_dict']
    torch.testing.assert_close(model.teacher.state_dict(), reference)  # strict load
    model.train()
    # The teacher computes training losses (heads in train mode) with frozen BN statistics.
    norms = [m for m in model.teacher.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    assert norms and not any(m.training for m in norms)
    assert model.teacher.rpn_head.training
    assert not any(p.requires_grad for p in model.teacher.parameters())
    assert len(model.mask_modules) == 5 and model.mask_modules[0].mask_token.shape == (6, 32)

    optim = OptimWrapper(
        torch.optim.Adam(
            [p for p in model.parameters() if p.requires_grad], lr=0.01, weight_decay=1e-3
        )
    )
    teacher_before, tokens_before = params(model.teacher), params(model.mask_modules)
    data = batch(cfg)
    for _ in range(2):
        log = model.train_step(data, optim)
    assert {f'loss_mask_div_{lvl}' for lvl in range(5)} <= set(log)
    assert {'loss_rpn_cls', 'loss_cls', 'loss_bbox'} <= set(log)
    for key, value in params(model.teacher).items():
        assert torch.equal(value, teacher_before[key]), key
        assert model.teacher.get_parameter(key).grad is None
    bn = model.teacher.backbone.bn1
    torch.testing.assert_close(bn.running_mean, reference['backbone.bn1.running_mean'])
    for key, value in params(model.mask_modules).items():
        assert not torch.equal(value, tokens_before[key]), f'{key} did not learn'


def test_detection_learner_saves_only_the_tokens(det_teacher_ckpt):
    _, model = learner(DET_TOKENS, det_teacher_ckpt)
    state = model.state_dict()
    assert state and all(k.startswith('mask_modules.') for k in state)
    _, fresh = learner(DET_TOKENS, det_teacher_ckpt)
    result = fresh.load_state_dict(state, strict=True)  # the teacher is not "missing"
    assert not result.missing_keys and not result.unexpected_keys
    torch.testing.assert_close(fresh.mask_modules.state_dict(), model.mask_modules.state_dict())


def test_heads_see_the_masked_features(det_teacher_ckpt):
    cfg, model = learner(DET_TOKENS, det_teacher_ckpt)
    data = model.data_preprocessor(batch(cfg), False)
    with torch.no_grad():
        plain = model.teacher.extract_feat(data['inputs'])
        expected = [m.forward_train(f)[0] for m, f in zip(model.mask_modules, plain)]
        with (
            ModuleRecorder(model.teacher, 'rpn_head', inputs=True) as rpn,
            ModuleRecorder(model.teacher, 'roi_head.bbox_roi_extractor', inputs=True) as roi,
        ):
            model(data['inputs'], data['data_samples'], mode='tensor')
    for seen in (rpn.get()[0], roi.get()[0]):
        for level, (got, want) in enumerate(zip(seen, expected)):
            torch.testing.assert_close(got, want)
            assert not torch.allclose(got, plain[level])
    # Outside the learner the teacher is untouched.
    torch.testing.assert_close(model.teacher.extract_feat(data['inputs']), plain)


def test_segmentation_learner_masks_the_logits(tmp_path, one_thread):
    torch.manual_seed(0)
    teacher_ckpt = save_weights(build(load_config(SEG).model), tmp_path / 'seg.pth')
    cfg, model = learner(SEG_TOKENS, teacher_ckpt)
    assert len(model.mask_modules) == 1
    assert model.mask_modules[0].mask_token.shape == (8, 6)  # 8 tokens x num_classes
    assert not model.mask_modules[0].weight_mask
    optim = OptimWrapper(torch.optim.SGD(model.mask_modules.parameters(), lr=0.1))
    before, teacher_before = params(model.mask_modules), params(model.teacher)
    log = model.train_step(batch(cfg), optim)
    assert {'decode.loss_ce', 'loss_mask_div_0'} <= set(log)
    assert not torch.equal(model.mask_modules[0].mask_token, before['0.mask_token'])
    assert all(torch.equal(v, teacher_before[k]) for k, v in params(model.teacher).items())


def test_wrong_level_count_is_a_clear_error(det_teacher_ckpt):
    cfg = load_config(DET_TOKENS)
    cfg.model.teacher_ckpt = det_teacher_ckpt
    cfg.model.channels = [32] * 4
    model = build(cfg.model)
    data = model.data_preprocessor(batch(cfg), True)
    with pytest.raises(
        ValueError,
        match=r'returned 5 level\(s\) but MaskLearner has tokens '
        r'for 4',
    ):
        model.loss(**data)


def test_a_head_that_branches_on_training_gets_its_loss_inputs():
    """RepPoints' head returns its three loss inputs only in training mode: with the whole
    teacher in eval, ``loss_by_feat`` received the image metas in place of the instances."""
    from mmdet.registry import MODELS as MMDET_MODELS
    from mmengine.registry import DefaultScope
    from torch.nn.modules.batchnorm import _BatchNorm

    from projects.maskd.maskd import MaskLearner

    with DefaultScope.overwrite_default_scope('mmdet'):
        head = MMDET_MODELS.build(
            dict(
                type='RepPointsHead',
                num_classes=2,
                in_channels=8,
                feat_channels=8,
                point_feat_channels=8,
            )
        )
    teacher = torch.nn.Sequential(torch.nn.BatchNorm2d(8), torch.nn.Dropout(0.5), head)
    model = MaskLearner.__new__(MaskLearner)
    torch.nn.Module.__init__(model)
    model.teacher = teacher
    model.train()
    assert head.training and len(head((torch.rand(1, 8, 8, 8),))) == 3
    assert not any(m.training for m in teacher.modules() if isinstance(m, _BatchNorm))
    assert not teacher[1].training
