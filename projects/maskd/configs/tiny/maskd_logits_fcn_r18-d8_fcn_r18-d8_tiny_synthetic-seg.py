# MasKD stage 2 for segmentation on the tiny FCN: the tokens mask the decode-head logits
# (x0.5) and the auxiliary-head logits (x0.5 x 0.4) of student and teacher; no aligners, no
# weighting, no customisation (official segmentation variant).
# PYTHONPATH=. python tools/train.py <this config> \
#     --cfg-options model.teacher_ckpt=<teacher> model.maskd_loss.tokens=<token file>
_base_ = './fcn_r18-d8_tiny_synthetic-seg.py'

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
        channels=[6],
        weight_mask=False,
        custom_mask=False,
        loss_weight=0.5,
        eps=1e-5,
    ),
    distill_points=[
        dict(student='decode_head.conv_seg', teacher='decode_head.conv_seg'),
        dict(
            student='auxiliary_head.conv_seg',
            teacher='auxiliary_head.conv_seg',
            name='loss_maskd_aux',
            weight=0.4,
        ),
    ],
)
