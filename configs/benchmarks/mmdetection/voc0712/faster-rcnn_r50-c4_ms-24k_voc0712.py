# Faster R-CNN R50-C4 on VOC07+12 trainval, tested on VOC07 test: detectron2's
# Pascal_VOC_R_50_C4_24k as in PixPro/DenseCL, on mmdet's caffe-C4 VOC config made the
# benchmark's torchvision-style model (RGB ImageNet normalisation, style='pytorch', SyncBN,
# norm_eval=False, frozen_stages=-1, a ResLayerExtraNorm res5 shared head that loads
# `backbone.layer4.*` too; dist_train_c4.sh fills in both init_cfgs).
# Schedule: 24k iterations, 16 images each, lr 0.02, 100 warm-up iterations, steps at 18k/22k,
# short side 480-800 (mmdet's 18k config already samples those scales).
# Metric: COCO-style AP, the papers' number: VOCMetric's area AP averaged over IoU
# 0.50:0.05:0.95 (its `mAP`), with AP50 and AP75 among the per-threshold entries.
_base_ = 'mmdet::pascal_voc/faster-rcnn_r50-caffe-c4_ms-18k_voc0712.py'

custom_imports = dict(
    imports=['mmpcd.evaluation', 'mmpretrain.models.utils.res_layer_extra_norm'],
    allow_failed_imports=False,
)

norm_cfg = dict(type='SyncBN', requires_grad=True)
pretrained = dict(type='Pretrained', _scope_='mmpcd', checkpoint=None, prefix='backbone.')

model = dict(
    data_preprocessor=dict(
        mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375], bgr_to_rgb=True
    ),
    backbone=dict(
        frozen_stages=-1, norm_cfg=norm_cfg, norm_eval=False, style='pytorch', init_cfg=pretrained
    ),
    roi_head=dict(
        shared_head=dict(
            type='ResLayerExtraNorm',
            norm_cfg=norm_cfg,
            norm_eval=False,
            style='pytorch',
            init_cfg=pretrained,
        )
    ),
)

max_iter = 24000
train_cfg = dict(max_iters=max_iter, val_interval=max_iter)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=100),
    dict(
        type='MultiStepLR',
        begin=0,
        end=max_iter,
        by_epoch=False,
        milestones=[18000, 22000],
        gamma=0.1,
    ),
]
optim_wrapper = dict(optimizer=dict(lr=0.02))
train_dataloader = dict(batch_size=2)  # x 8 GPUs = 16 images

coco_style_ap = dict(
    type='VOCMetric',
    metric='mAP',
    eval_mode='area',
    iou_thrs=[round(0.5 + 0.05 * i, 2) for i in range(10)],
)
val_evaluator = coco_style_ap
test_evaluator = coco_style_ap
default_hooks = dict(checkpoint=dict(by_epoch=False, interval=4000, max_keep_ckpts=2))
