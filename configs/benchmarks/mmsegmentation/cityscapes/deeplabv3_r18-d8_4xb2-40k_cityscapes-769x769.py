# DeepLabV3 R18-D8 on Cityscapes 769x769, 40k iterations (4 GPUs x 2 images): PCD's
# segmentation setting for a distilled ResNet-18, on mmseg's DeepLabV3 config with the plain
# ResNet stem of the pre-trained network (not ResNetV1c, whose deep stem would stay unloaded),
# SyncBN, BN trained, nothing frozen; head widths as mmseg's own R18 DeepLabV3. Launch with
# tools/benchmarks/mmsegmentation/dist_train.sh CONFIG CHECKPOINT GPUS.
_base_ = 'mmseg::deeplabv3/deeplabv3_r50-d8_4xb2-40k_cityscapes-769x769.py'

custom_imports = dict(imports=['mmpcd.evaluation'], allow_failed_imports=False)

model = dict(
    pretrained=None,
    backbone=dict(
        type='ResNet',
        depth=18,
        deep_stem=False,
        norm_eval=False,
        init_cfg=dict(type='Pretrained', _scope_='mmpcd', checkpoint=None, prefix='backbone.'),
    ),
    decode_head=dict(in_channels=512, channels=128),
    auxiliary_head=dict(in_channels=256, channels=64),
)
