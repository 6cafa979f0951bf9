# PixPro, ResNet-50, pre-trained on COCO train2017 without labels (118k images), 800 epochs
# (about 92k iterations at batch 1024 against the 100-epoch ImageNet run's 125k; the warm-up
# keeps its length in iterations, 50 COCO epochs ~ 5 ImageNet epochs).
# Not an upstream recipe: the PixPro paper pre-trains on ImageNet-1k only; this mirrors
# DenseCL's COCO setting for comparisons of pre-training data.
_base_ = './pixpro_resnet50_8xb128-lars-coslr-100e_in1k.py'

train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='CustomDataset',
        data_root='data/coco/',
        data_prefix='train2017',
        with_label=False,
        pipeline={{_base_.train_pipeline}},
    )
)

# The warm-up keeps its length in iterations: 50 COCO epochs; the cosine runs to the end.
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=1e-2,
        by_epoch=True,
        begin=0,
        end=50,
        convert_to_iter_based=True,
    ),
    dict(
        type='CosineAnnealingLR', eta_min=1e-6, by_epoch=True, begin=50, convert_to_iter_based=True
    ),
]
train_cfg = dict(max_epochs=800)
default_hooks = dict(checkpoint=dict(interval=50))
