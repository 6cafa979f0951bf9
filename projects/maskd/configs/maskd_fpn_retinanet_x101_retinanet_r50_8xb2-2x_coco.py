# MasKD stage 2: RetinaNet R50 (student, 2x) <- RetinaNet X101-64x4d (multi-scale 3x).
# Official retinanet_x101-retinanet_r50_coco.py: as the R101 teacher's recipe (MasKD on P3-P7,
# weight 7, inheriting neck and head, SGD lr 0.02, grad clip 35, 1000 warm-up iterations) but
# customised masks after 8500 iterations and SmoothL1 distillation of retina_reg (per level).
# Official AP 41.0. The tokens must be learned on this same 3x teacher
# (maskd-tokens_retinanet_x101-64x4d_fpn_ms-3x_8xb2-2000i_coco.py).
_base_ = './maskd_fpn_retinanet_r101_retinanet_r50_8xb2-2x_coco.py'

model = dict(
    teacher=dict(cfg_path='mmdet::retinanet/retinanet_x101-64x4d_fpn_ms-640-800-3x_coco.py'),
    teacher_ckpt='https://download.openmmlab.com/mmdetection/v2.0/retinanet/'
    'retinanet_x101_64x4d_fpn_mstrain_3x_coco/'
    'retinanet_x101_64x4d_fpn_mstrain_3x_coco_20210719_051838-022c2187.pth',
    maskd_loss=dict(
        tokens='work_dirs/maskd-tokens_retinanet_x101-64x4d_fpn_ms-3x_8xb2-2000i_coco/'
        'maskd_tokens.pth',
        custom_mask_warmup=8500,
    ),
    head_reg_kd=[
        dict(
            student='bbox_head.retina_reg',
            teacher='bbox_head.retina_reg',
            loss=dict(type='mmdet.SmoothL1Loss', loss_weight=1.0),
        )
    ],
)
