# The MobileNetV2 student of ../maskd_logits_deeplabv3_r101_deeplabv3_mobilenetv2_8xb2-40k_
# cityscapes-512x1024.py at tiny scale: a half-width dilated MobileNetV2 with an ASPP head,
# no auxiliary head (so only the decode head's logits are distilled), weight decay 2e-4,
# distilled from the tiny FCN teacher on the embedded synthetic data.
# PYTHONPATH=. python tools/train.py <this config> \
#     --cfg-options model.teacher_ckpt=<teacher> model.maskd_loss.tokens=<token file>
_base_ = './maskd_logits_fcn_r18-d8_fcn_r18-d8_tiny_synthetic-seg.py'

norm_cfg = dict(type='BN', requires_grad=True)

model = dict(
    student=dict(
        backbone=dict(
            _delete_=True,
            type='MobileNetV2',
            widen_factor=0.5,
            strides=(1, 2, 2, 1, 1, 1, 1),
            dilations=(1, 1, 1, 2, 2, 4, 4),
            out_indices=(1, 2, 4, 6),
            norm_cfg=norm_cfg,
        ),
        decode_head=dict(
            _delete_=True,
            type='ASPPHead',
            in_channels=160,  # 320 x 0.5
            in_index=3,
            channels=32,
            dilations=(1, 12, 24, 36),
            dropout_ratio=0.1,
            num_classes=6,
            norm_cfg=norm_cfg,
            align_corners=False,
            loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0),
        ),
        auxiliary_head=None,
    ),
    distill_points=[dict(student='decode_head.conv_seg', teacher='decode_head.conv_seg')],
)
optim_wrapper = dict(optimizer=dict(weight_decay=2e-4))
