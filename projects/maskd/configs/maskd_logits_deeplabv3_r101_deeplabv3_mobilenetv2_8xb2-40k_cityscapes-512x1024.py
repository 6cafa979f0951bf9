# MasKD stage 2 for segmentation: DeepLabV3 MobileNetV2-d8 (student, mmseg's
# mobilenet-v2-d8_deeplabv3: dilated MobileNetV2, ASPP on its 320-channel output) <- DeepLabV3
# R101-d8, with the recipe of the DeepLabV3-R18 config except what the official script
# changes (hunto/MasKD segmentation/train_scripts/train_maskd/deeplabv3_mbv2.sh): weight decay
# 2e-4 (:7), and no auxiliary head, so only the decode head's logits are distilled
# (train_maskd.py:120-123 turns `aux` off for MobileNet students, :259-263). Official mIoU
# 75.26 (CIRKD's model and training code).
_base_ = './maskd_logits_deeplabv3_r101_deeplabv3_r18_8xb2-40k_cityscapes-512x1024.py'

model = dict(
    student=dict(
        pretrained='mmcls://mobilenet_v2',
        backbone=dict(
            _delete_=True,
            type='MobileNetV2',
            widen_factor=1.0,
            strides=(1, 2, 2, 1, 1, 1, 1),
            dilations=(1, 1, 1, 2, 2, 4, 4),
            out_indices=(1, 2, 4, 6),
            norm_cfg=dict(type='SyncBN', requires_grad=True),
        ),
        decode_head=dict(in_channels=320, channels=512),
        auxiliary_head=None,
    ),
    distill_points=[dict(student='decode_head.conv_seg', teacher='decode_head.conv_seg')],
)
optim_wrapper = dict(optimizer=dict(weight_decay=2e-4))
