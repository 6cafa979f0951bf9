# MasKD stage 2 on the tiny Faster R-CNN: distil a student from the teacher through the
# stage-1 tokens on every FPN level, with 1x1 aligners, customised masks after 4
# iterations and the official Faster R-CNN extra term (RoI-regression distillation).
# PYTHONPATH=. python tools/train.py <this config> \
#     --cfg-options model.teacher_ckpt=<teacher> model.maskd_loss.tokens=<token file>
_base_ = './faster-rcnn_r18_tiny_synthetic.py'

custom_imports = dict(imports=['projects.maskd.maskd'], allow_failed_imports=False)

student = _base_.model
teacher = _base_.model
model = dict(
    _delete_=True,
    _scope_='mmpcd',
    type='MasKDDistiller',
    student=student,
    teacher=teacher,
    teacher_ckpt=None,  # required: --cfg-options model.teacher_ckpt=PATH
    maskd_loss=dict(
        type='MasKDLoss',
        tokens=None,  # required: --cfg-options model.maskd_loss.tokens=PATH
        channels=[32] * 5,
        weight_mask=True,
        custom_mask=True,
        custom_mask_warmup=4,
        loss_weight=1.0,
    ),
    distill_points=[dict(student='neck', teacher='neck', align_channels=[32] * 5)],
    roi_reg_kd=dict(loss=dict(type='mmdet.SmoothL1Loss', loss_weight=1.0)),
)
