# MasKD stage 2: FCOS R50-caffe (student) <- FCOS R101-caffe (multi-scale 2x).
# Official fcos_r101-fcos_r50_coco.py, the only "pure" MasKD config: MasKD on P3-P7 (weight
# 10, customised masks after 5000 iterations), no extra terms. Student FCOS with
# norm_on_bbox, center sampling, GIoU and centerness on the classification branch, multi-scale
# 640-800 2x, SGD 0.01 (bias lr x2, no bias decay), grad clip 35, 500 warm-up iterations at
# 1/3, test NMS IoU 0.6. Official AP 42.9.
_base_ = 'mmdet::fcos/fcos_r50-caffe_fpn_gn-head_ms-640-800-2x_coco.py'

custom_imports = dict(imports=['projects.maskd.maskd'], allow_failed_imports=False)

student = _base_.model
student.bbox_head.update(
    norm_on_bbox=True,
    centerness_on_reg=False,
    dcn_on_last_conv=False,
    center_sampling=True,
    center_sample_radius=1.5,
    conv_bias=True,
    loss_bbox=dict(type='GIoULoss', loss_weight=1.0),
)
# The official student tests with NMS IoU 0.6 ("following previous KD methods").
student.test_cfg.nms.iou_threshold = 0.6
model = dict(
    _delete_=True,
    _scope_='mmpcd',
    type='MasKDDistiller',
    student=student,
    teacher=dict(cfg_path='mmdet::fcos/fcos_r101-caffe_fpn_gn-head_ms-640-800-2x_coco.py'),
    teacher_ckpt='https://download.openmmlab.com/mmdetection/v2.0/fcos/'
    'fcos_r101_caffe_fpn_gn-head_mstrain_640-800_2x_coco/'
    'fcos_r101_caffe_fpn_gn-head_mstrain_640-800_2x_coco-511424d6.pth',
    maskd_loss=dict(
        type='MasKDLoss',
        tokens='work_dirs/maskd-tokens_fcos_r101-caffe_fpn_gn-head_8xb2-2000i_coco/'
        'maskd_tokens.pth',
        channels=[256] * 5,
        weight_mask=True,
        custom_mask=True,
        custom_mask_warmup=5000,
        loss_weight=10.0,
    ),
    distill_points=[dict(student='neck', teacher='neck', align_channels=[256] * 5)],
)

param_scheduler = [
    dict(type='LinearLR', start_factor=1.0 / 3, by_epoch=False, begin=0, end=500),
    dict(type='MultiStepLR', begin=0, end=24, by_epoch=True, milestones=[16, 22], gamma=0.1),
]
