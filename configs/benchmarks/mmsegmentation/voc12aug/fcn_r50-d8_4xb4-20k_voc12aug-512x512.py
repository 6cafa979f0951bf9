# FCN R50-D8 on PASCAL VOC 2012 + SBD aug, 512x512 crops, 20k iterations (4 GPUs x 4 images):
# the DenseCL / PixPro segmentation benchmark on mmseg's own config, with the plain ResNet stem
# of the pre-trained network instead of mmseg's ResNetV1c (whose deep stem an SSL checkpoint
# cannot fill), SyncBN, BN trained, nothing frozen. Launch with
# tools/benchmarks/mmsegmentation/dist_train.sh CONFIG CHECKPOINT GPUS.
_base_ = 'mmseg::fcn/fcn_r50-d8_4xb4-20k_voc12aug-512x512.py'

custom_imports = dict(imports=['mmpcd.evaluation'], allow_failed_imports=False)

model = dict(
    pretrained=None,
    backbone=dict(
        type='ResNet',
        deep_stem=False,
        norm_eval=False,
        init_cfg=dict(type='Pretrained', _scope_='mmpcd', checkpoint=None, prefix='backbone.'),
    ),
)
