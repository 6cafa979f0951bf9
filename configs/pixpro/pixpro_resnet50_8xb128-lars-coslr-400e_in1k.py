# PixPro, ResNet-50, ImageNet-1k, 400 epochs (tools/pixpro_base_r50_400ep.sh): the 100-epoch
# recipe with a longer cosine.
_base_ = './pixpro_resnet50_8xb128-lars-coslr-100e_in1k.py'

param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=1e-2,
        by_epoch=True,
        begin=0,
        end=5,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        T_max=395,
        eta_min=1e-6,
        by_epoch=True,
        begin=5,
        end=400,
        convert_to_iter_based=True)
]
train_cfg = dict(max_epochs=400)
