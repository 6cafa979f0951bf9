# MasKD stage 2: RepPoints-moment R50 (GN neck and head, 2x) <- RepPoints-moment
# ResNeXt-101-32x4d with DCN (2x; the README calls it "RepPoints-R101").
# Official reppoints_x101-reppoints-r50_coco.py: MasKD on P3-P7 (weight 10, customised masks
# after 5000 iterations) + SmoothL1 (beta 0.11) distillation of the refined (weight 0.2) and
# initial (weight 0.1) point offsets, per level. Official AP 42.5.
_base_ = 'mmdet::reppoints/reppoints-moment_r50_fpn-gn_head-gn_2x_coco.py'

custom_imports = dict(imports=['projects.maskd.maskd'], allow_failed_imports=False)

student = _base_.model
model = dict(
    _delete_=True,
    _scope_='mmpcd',
    type='MasKDDistiller',
    student=student,
    teacher=dict(
        cfg_path='mmdet::reppoints/reppoints-moment_x101-dconv-c3-c5_fpn-gn_head-gn_2x_coco.py'
    ),
    teacher_ckpt='https://download.openmmlab.com/mmdetection/v2.0/reppoints/'
    'reppoints_moment_x101_fpn_dconv_c3-c5_gn-neck%2Bhead_2x_coco/'
    'reppoints_moment_x101_fpn_dconv_c3-c5_gn-neck%2Bhead_2x_coco_20200329-f87da1ea.pth',
    maskd_loss=dict(
        type='MasKDLoss',
        tokens='work_dirs/maskd-tokens_reppoints-moment_x101-dconv-c3-c5_fpn-gn_head-gn_'
        '8xb2-2000i_coco/maskd_tokens.pth',
        channels=[256] * 5,
        weight_mask=True,
        custom_mask=True,
        custom_mask_warmup=5000,
        loss_weight=10.0,
    ),
    distill_points=[dict(student='neck', teacher='neck', align_channels=[256] * 5)],
    head_reg_kd=[
        dict(
            name='loss_pts_refine_kd',
            student='bbox_head.reppoints_pts_refine_out',
            teacher='bbox_head.reppoints_pts_refine_out',
            loss=dict(type='mmdet.SmoothL1Loss', beta=0.11, loss_weight=0.2),
        ),
        dict(
            name='loss_pts_init_kd',
            student='bbox_head.reppoints_pts_init_out',
            teacher='bbox_head.reppoints_pts_init_out',
            loss=dict(type='mmdet.SmoothL1Loss', beta=0.11, loss_weight=0.1),
        ),
    ],
)
