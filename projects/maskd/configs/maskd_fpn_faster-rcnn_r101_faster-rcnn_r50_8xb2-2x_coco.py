# MasKD stage 2: Faster R-CNN R50 (student, mmdet 2x recipe) <- Faster R-CNN R101 2x.
# Official fpn_r101-fpn_r50_coco.py: MasKD on P2-P6 (weight 1, 1x1 aligners, customised masks
# after 7330 iterations) + RoI-regression distillation (SmoothL1, weight 1) on the student's
# RoIs. Official AP 40.8 with this config, 41.0 with inheriting (not released).
# Tokens: <work_dir of maskd-tokens_faster-rcnn_r101_fpn_8xb2-2000i_coco.py>/maskd_tokens.pth,
# or the released ones converted with projects/maskd/tools/convert_official_tokens.py.
_base_ = 'mmdet::faster_rcnn/faster-rcnn_r50_fpn_2x_coco.py'

custom_imports = dict(imports=['projects.maskd.maskd'], allow_failed_imports=False)

student = _base_.model
model = dict(
    _delete_=True,
    _scope_='mmpcd',
    type='MasKDDistiller',
    student=student,
    teacher=dict(cfg_path='mmdet::faster_rcnn/faster-rcnn_r101_fpn_2x_coco.py'),
    teacher_ckpt='https://download.openmmlab.com/mmdetection/v2.0/faster_rcnn/'
    'faster_rcnn_r101_fpn_2x_coco/'
    'faster_rcnn_r101_fpn_2x_coco_bbox_mAP-0.398_20200504_210455-1d2dac9c.pth',
    maskd_loss=dict(
        type='MasKDLoss',
        tokens='work_dirs/maskd-tokens_faster-rcnn_r101_fpn_8xb2-2000i_coco/maskd_tokens.pth',
        channels=[256] * 5,
        weight_mask=True,
        custom_mask=True,
        custom_mask_warmup=7330,
        loss_weight=1.0,
    ),
    distill_points=[dict(student='neck', teacher='neck', align_channels=[256] * 5)],
    roi_reg_kd=dict(loss=dict(type='mmdet.SmoothL1Loss', loss_weight=1.0)),
)
