# MasKD stage 2: Faster R-CNN R50 (student, 2x) <- Cascade Mask R-CNN X101-64x4d 20e.
# Official cascade_mask_rcnn_x101-fpn_x50_coco.py (the student is an R50): MasKD on P2-P6
# (weight 1, customised masks after 5000 iterations) + RoI-regression distillation against
# the teacher's *first* cascade stage on the student's RoIs, which needs a class-agnostic
# student regressor. Official AP 42.7.
_base_ = 'mmdet::faster_rcnn/faster-rcnn_r50_fpn_2x_coco.py'

custom_imports = dict(imports=['projects.maskd.maskd'], allow_failed_imports=False)

student = _base_.model
student.roi_head.bbox_head.reg_class_agnostic = True
model = dict(
    _delete_=True,
    _scope_='mmpcd',
    type='MasKDDistiller',
    student=student,
    teacher=dict(cfg_path='mmdet::cascade_rcnn/cascade-mask-rcnn_x101-64x4d_fpn_20e_coco.py'),
    teacher_ckpt='https://download.openmmlab.com/mmdetection/v2.0/cascade_rcnn/'
    'cascade_mask_rcnn_x101_64x4d_fpn_20e_coco/'
    'cascade_mask_rcnn_x101_64x4d_fpn_20e_coco_20200512_161033-bdb5126a.pth',
    maskd_loss=dict(
        type='MasKDLoss',
        tokens='work_dirs/maskd-tokens_cascade-mask-rcnn_x101-64x4d_fpn_8xb2-2000i_coco/'
        'maskd_tokens.pth',
        channels=[256] * 5,
        weight_mask=True,
        custom_mask=True,
        custom_mask_warmup=5000,
        loss_weight=1.0,
    ),
    distill_points=[dict(student='neck', teacher='neck', align_channels=[256] * 5)],
    roi_reg_kd=dict(loss=dict(type='mmdet.SmoothL1Loss', loss_weight=1.0)),
)
