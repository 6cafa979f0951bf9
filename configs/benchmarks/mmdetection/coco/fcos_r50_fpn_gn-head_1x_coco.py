# FCOS R50-FPN (GN head) 1x on COCO: the transfer of PixPro's FPN + head pre-training
# (configs/pixpro/pixpro_resnet50-fpn-fcos-head_*; the paper's Table 5) on mmdet's FCOS config
# turned into the benchmark's torchvision-style model: RGB input with ImageNet mean/std,
# style='pytorch', SyncBN in the backbone, norm_eval=False, frozen_stages=-1. The backbone,
# the FPN and the head's towers load from the checkpoint of
# `tools/model_converters/extract_backbone_weights.py SRC DST --fcos`
# (tools/benchmarks/mmdetection/dist_train_fcos.sh CONFIG DST GPUS fills in the three
# checkpoints); the predictors (conv_cls with its prior, conv_reg, conv_centerness, scales)
# keep FCOS's initialisation. 16 images per iteration (8 GPUs x 2).
_base_ = 'mmdet::fcos/fcos_r50-caffe_fpn_gn-head_1x_coco.py'

custom_imports = dict(imports=['mmpcd.evaluation'], allow_failed_imports=False)

norm_cfg = dict(type='SyncBN', requires_grad=True)
pretrained = dict(type='Pretrained', _scope_='mmpcd', checkpoint=None)

model = dict(
    data_preprocessor=dict(
        mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375], bgr_to_rgb=True
    ),
    backbone=dict(
        frozen_stages=-1,
        norm_cfg=norm_cfg,
        norm_eval=False,
        style='pytorch',
        init_cfg=dict(pretrained, prefix='backbone.'),
    ),
    neck=dict(init_cfg=dict(pretrained, prefix='neck.')),
    bbox_head=dict(
        init_cfg=[
            # FCOSHead's own initialisation, then the pre-trained towers over it.
            dict(
                type='Normal',
                layer='Conv2d',
                std=0.01,
                override=dict(type='Normal', name='conv_cls', std=0.01, bias_prob=0.01),
            ),
            dict(pretrained, prefix='bbox_head.'),
        ]
    ),
)
