# MasKD stage 2: RetinaNet R50 (student, 2x) <- RetinaNet R101 2x.
# Official retinanet_r101-retinanet_r50_coco.py: MasKD on P3-P7 (weight 7, customised masks
# after 7000 iterations) + L1 distillation of the regression branch (retina_reg, per level),
# student neck and head initialised from the teacher ("inheriting"), grad clip 35, 1000
# warm-up iterations. Official AP 39.9.
_base_ = 'mmdet::retinanet/retinanet_r50_fpn_2x_coco.py'

custom_imports = dict(imports=['projects.maskd.maskd'], allow_failed_imports=False)

student = _base_.model
model = dict(
    _delete_=True,
    _scope_='mmpcd',
    type='MasKDDistiller',
    student=student,
    teacher=dict(cfg_path='mmdet::retinanet/retinanet_r101_fpn_2x_coco.py'),
    teacher_ckpt='https://download.openmmlab.com/mmdetection/v2.0/retinanet/'
    'retinanet_r101_fpn_2x_coco/retinanet_r101_fpn_2x_coco_20200131-5560aee8.pth',
    maskd_loss=dict(
        type='MasKDLoss',
        tokens='work_dirs/maskd-tokens_retinanet_r101_fpn_8xb2-2000i_coco/maskd_tokens.pth',
        channels=[256] * 5,
        weight_mask=True,
        custom_mask=True,
        custom_mask_warmup=7000,
        loss_weight=7.0,
    ),
    distill_points=[dict(student='neck', teacher='neck', align_channels=[256] * 5)],
    head_reg_kd=[
        dict(
            student='bbox_head.retina_reg',
            teacher='bbox_head.retina_reg',
            loss=dict(type='mmdet.L1Loss', loss_weight=1.0),
        )
    ],
    inherit=('neck', 'bbox_head'),
)

# Official SGD lr 0.02 (mmdet's RetinaNet 2x base has 0.01) and clipping at 35.
optim_wrapper = dict(optimizer=dict(lr=0.02), clip_grad=dict(max_norm=35, norm_type=2))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=1000),
    dict(type='MultiStepLR', begin=0, end=24, by_epoch=True, milestones=[16, 22], gamma=0.1),
]
