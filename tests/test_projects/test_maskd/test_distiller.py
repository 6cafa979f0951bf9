"""Stage 2 (MasKDDistiller) on tiny detectors: what learns, what stays frozen, and that the
losses are the formulas on the right features."""

import pytest
import torch
import torch.nn.functional as F
from mmengine.hub import get_config
from mmengine.optim import OptimWrapper

from projects.maskd.maskd import MaskModule, save_tokens

from .helpers import (
    DET,
    DET_KD,
    SEG,
    SEG_KD,
    batch,
    build,
    load_config,
    naive_maskd_loss,
    params,
    save_weights,
)


@pytest.fixture(scope='module')
def files(tmp_path_factory):
    """A random teacher checkpoint and random 5-level tokens for it."""
    root = tmp_path_factory.mktemp('kd')
    torch.manual_seed(0)
    teacher = save_weights(build(load_config(DET).model), root / 'teacher.pth')
    modules = torch.nn.ModuleList(MaskModule(32, 6) for _ in range(5))
    with torch.no_grad():
        for m in modules:
            m.mask_token.normal_(0, 0.2)
    tokens = str(root / 'tokens.pth')
    save_tokens(tokens, modules, teacher_ckpt=teacher)
    return teacher, tokens


def distiller(files, **overrides):
    cfg = load_config(DET_KD)
    cfg.model.teacher_ckpt, cfg.model.maskd_loss.tokens = files
    cfg.model.update(overrides)
    model = build(cfg.model)
    model.init_weights()
    return cfg, model


def test_student_and_aligners_learn_teacher_and_tokens_do_not(files, one_thread):
    cfg, model = distiller(files)
    model.train()
    assert not model.teacher.training and model.student.training
    trainable = [p for p in model.parameters() if p.requires_grad]
    # The student's own frozen stages (frozen_stages=1) stay frozen.
    student = [p for p in model.student.parameters() if p.requires_grad]
    assert {id(p) for p in trainable} == {id(p) for p in [*student, *model.connectors.parameters()]}
    optim = OptimWrapper(torch.optim.SGD(trainable, lr=0.01))
    before = params(model)
    log = model.train_step(batch(cfg), optim)
    log = model.train_step(batch(cfg), optim)
    assert {'loss_maskd', 'loss_roi_reg_kd', 'loss_cls', 'loss_rpn_cls'} <= set(log)
    after = params(model)
    for key in before:
        changed = not torch.equal(before[key], after[key])
        if key.startswith(('teacher.', 'loss_maskd.')):
            assert not changed, f'{key} changed'
            assert model.get_parameter(key).grad is None, f'{key} got a gradient'
        elif key.startswith('connectors.') or key.endswith('neck.fpn_convs.0.conv.weight'):
            assert changed, f'{key} did not learn'
    assert int(model.loss_maskd.num_iters) == 2


def test_maskd_loss_equals_the_direct_formula(files):
    cfg, model = distiller(files)
    model.loss_maskd.custom_mask_warmup = 1  # iteration 0 plain, iteration 1 customised
    data = model.data_preprocessor(batch(cfg), True)
    for custom in (False, True):
        losses = model.loss(**data)
        with torch.no_grad():
            feats_t = model.teacher.extract_feat(data['inputs'])
            feats_s = model.student.extract_feat(data['inputs'])
            expected = sum(
                naive_maskd_loss(m, align(s), t, True, custom)
                for m, align, s, t in zip(
                    model.loss_maskd.mask_modules, model.connectors['0'], feats_s, feats_t
                )
            )
        torch.testing.assert_close(losses['loss_maskd'].detach(), expected)


def test_identical_student_and_teacher_give_zero_distillation(files):
    """The recorded student and teacher features are paired correctly: with the student a
    copy of the teacher (both in eval mode) and identity aligners, every KD term is 0."""
    cfg, model = distiller(files)
    model.student.load_state_dict(model.teacher.state_dict())
    with torch.no_grad():
        for conv in model.connectors['0']:
            conv.weight.copy_(torch.eye(32)[:, :, None, None])
            conv.bias.zero_()
    model.eval()
    data = model.data_preprocessor(batch(cfg), True)
    losses = model.loss(**data)
    assert losses['loss_maskd'].item() == 0.0
    assert losses['loss_roi_reg_kd'].item() == 0.0
    assert int(model.loss_maskd.num_iters) == 0  # only training iterations count


def test_checkpoints_hold_student_aligners_and_counter(files):
    _, model = distiller(files)
    model.loss_maskd.num_iters.fill_(7)
    state = model.state_dict()
    assert {k.split('.')[0] for k in state} == {'student', 'connectors', 'loss_maskd'}
    assert [k for k in state if k.startswith('loss_maskd')] == ['loss_maskd.num_iters']
    _, fresh = distiller(files)
    result = fresh.load_state_dict(state, strict=True)
    assert not result.missing_keys
    assert int(fresh.loss_maskd.num_iters) == 7


def test_predict_runs_the_student(files):
    cfg, model = distiller(files)
    model.eval()
    data = model.data_preprocessor(batch(cfg), False)
    with torch.no_grad():
        ours = model(**data, mode='predict')
        student = model.student.predict(data['inputs'], data['data_samples'])
    for a, b in zip(ours, student):
        torch.testing.assert_close(a.pred_instances.bboxes, b.pred_instances.bboxes)


def test_inheriting_copies_teacher_modules(files):
    _, model = distiller(files, inherit=('neck', 'rpn_head'))
    for path in ('neck', 'rpn_head'):
        torch.testing.assert_close(
            model.student.get_submodule(path).state_dict(),
            model.teacher.get_submodule(path).state_dict(),
        )
    assert not torch.equal(model.student.backbone.conv1.weight, model.teacher.backbone.conv1.weight)


def test_mismatched_preprocessing_is_refused(files):
    cfg = load_config(DET_KD)
    cfg.model.teacher_ckpt, cfg.model.maskd_loss.tokens = files
    cfg.model.teacher.data_preprocessor.mean = [0.0, 0.0, 0.0]
    with pytest.raises(ValueError, match='data preprocessors differ in mean'):
        build(cfg.model)


def tiny_retinanet() -> dict:
    model = get_config('mmdet::retinanet/retinanet_r50_fpn_2x_coco.py').model
    model._scope_ = 'mmdet'
    model.backbone.update(depth=18, init_cfg=None)
    model.neck.update(in_channels=[64, 128, 256, 512], out_channels=32)
    model.bbox_head.update(in_channels=32, feat_channels=32, stacked_convs=1, num_classes=5)
    model.bbox_head.anchor_generator.octave_base_scale = 2
    return model


def test_dense_head_regression_distillation_per_level(tmp_path):
    torch.manual_seed(0)
    retina = tiny_retinanet()
    teacher = save_weights(build(retina), tmp_path / 'retina.pth')
    tokens = str(tmp_path / 'tokens.pth')
    save_tokens(tokens, torch.nn.ModuleList(MaskModule(32, 6) for _ in range(5)))
    cfg = load_config(DET_KD)
    cfg.model['student'] = retina  # assignment replaces; update() would merge
    cfg.model['teacher'] = retina
    cfg.model.update(
        teacher_ckpt=teacher,
        roi_reg_kd=None,
        inherit=('neck', 'bbox_head'),
        head_reg_kd=[
            dict(
                student='bbox_head.retina_reg',
                teacher='bbox_head.retina_reg',
                loss=dict(type='mmdet.L1Loss', loss_weight=1.0),
            )
        ],
    )
    cfg.model.maskd_loss.update(tokens=tokens, loss_weight=7.0)
    model = build(cfg.model)
    model.init_weights()
    data = model.data_preprocessor(batch(cfg), True)
    losses = model.loss(**data)
    with torch.no_grad():
        _, reg_s = model.student.bbox_head(model.student.extract_feat(data['inputs']))
        _, reg_t = model.teacher.bbox_head(model.teacher.extract_feat(data['inputs']))
    expected = sum(F.l1_loss(s, t) for s, t in zip(reg_s, reg_t))
    torch.testing.assert_close(losses['loss_head_reg_kd'].detach(), expected)
    assert expected > 0 and 'loss_roi_reg_kd' not in losses


def tiny_cascade() -> dict:
    model = get_config('mmdet::cascade_rcnn/cascade-rcnn_r50_fpn_1x_coco.py').model
    model._scope_ = 'mmdet'
    model.backbone.update(depth=18, init_cfg=None)
    model.neck.update(in_channels=[64, 128, 256, 512], out_channels=32)
    model.rpn_head.update(in_channels=32, feat_channels=32)
    model.roi_head.bbox_roi_extractor.out_channels = 32
    for head in model.roi_head.bbox_head:
        head.update(in_channels=32, fc_out_channels=64, num_classes=5)
    return model


def test_roi_regression_against_the_first_cascade_stage(tmp_path, files):
    """The official Cascade -> Faster R-CNN term: the teacher's first-stage regressor on the
    student's RoIs; a class-specific student regressor is refused with the fix named."""
    torch.manual_seed(0)
    cascade = tiny_cascade()
    teacher = save_weights(build(cascade), tmp_path / 'cascade.pth')
    cfg = load_config(DET_KD)
    cfg.model['teacher'] = cascade
    cfg.model.update(teacher_ckpt=teacher)
    cfg.model.maskd_loss.tokens = files[1]
    cfg.model.student.roi_head.bbox_head.reg_class_agnostic = True
    model = build(cfg.model)
    model.init_weights()
    data = model.data_preprocessor(batch(cfg), True)
    captured = {}
    original = model._roi_reg_kd

    def spy(feats, rois, student_pred):
        captured.update(rois=rois, student=student_pred.detach())
        return original(feats, rois, student_pred)

    model._roi_reg_kd = spy
    losses = model.loss(**data)
    with torch.no_grad():
        feats_t = model.teacher.extract_feat(data['inputs'])
        first = model.teacher.roi_head._bbox_forward(0, feats_t, captured['rois'])['bbox_pred']
    assert captured['student'].shape == first.shape == (captured['rois'].size(0), 4)
    expected = F.smooth_l1_loss(captured['student'], first)
    torch.testing.assert_close(losses['loss_roi_reg_kd'].detach(), expected)

    cfg.model.student.roi_head.bbox_head.reg_class_agnostic = False
    model = build(cfg.model)
    with pytest.raises(ValueError, match='reg_class_agnostic'):
        model.loss(**model.data_preprocessor(batch(cfg), True))


def test_segmentation_variant_on_main_and_auxiliary_logits(tmp_path):
    """x0.5 on the decode-head logits, x0.5 x 0.4 on the auxiliary logits, same tokens, no
    weighting or customisation, eps 1e-5 (official segmentation code)."""
    torch.manual_seed(0)
    teacher = save_weights(build(load_config(SEG).model), tmp_path / 'seg.pth')
    module = MaskModule(6, 8, weight_mask=False)
    module.mask_token.data.normal_(0, 0.5)
    tokens = str(tmp_path / 'tokens.pth')
    save_tokens(tokens, torch.nn.ModuleList([module]))
    cfg = load_config(SEG_KD)
    cfg.model.teacher_ckpt, cfg.model.maskd_loss.tokens = teacher, tokens
    model = build(cfg.model)
    model.init_weights()
    model.eval()  # no dropout before conv_seg, so the logits can be recomputed below
    data = model.data_preprocessor(batch(cfg), True)
    losses = model.loss(**data)
    with torch.no_grad():
        feats_s = model.student.extract_feat(data['inputs'])
        feats_t = model.teacher.extract_feat(data['inputs'])
        for name, head, weight in (
            ('loss_maskd', 'decode_head', 1.0),
            ('loss_maskd_aux', 'auxiliary_head', 0.4),
        ):
            logits_s = getattr(model.student, head)(feats_s)
            logits_t = getattr(model.teacher, head)(feats_t)
            expected = (
                weight * 0.5 * naive_maskd_loss(module, logits_s, logits_t, False, False, eps=1e-5)
            )
            torch.testing.assert_close(losses[name].detach(), expected)
    assert {'decode.loss_ce', 'aux.loss_ce'} <= set(losses)
