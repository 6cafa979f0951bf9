# A tiny FCN (dilated ResNet-18, 32-channel heads, auxiliary head) on the embedded synthetic
# segmentation data (background + 5 classes, 64 px): the teacher and student of the MasKD
# segmentation demo and tests. PYTHONPATH=. python tools/train.py <this config>
_base_ = 'mmseg::fcn/fcn_r18-d8_4xb2-80k_cityscapes-512x1024.py'

norm_cfg = dict(type='BN', requires_grad=True)
# The runner gives this top-level value to a model config without a data_preprocessor (the
# MasKD wrappers), so it must match the segmentor's.
data_preprocessor = dict(size=(64, 64))
model = dict(
    pretrained=None,
    data_preprocessor=data_preprocessor,
    backbone=dict(norm_cfg=norm_cfg),
    decode_head=dict(channels=32, num_classes=6, norm_cfg=norm_cfg),
    auxiliary_head=dict(channels=16, num_classes=6, norm_cfg=norm_cfg),
)

train_dataloader = dict(
    batch_size=2,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        _delete_=True,
        _scope_='mmpcd',  # mmpcd's registry is not a direct child of the root
        type='SyntheticDenseDataset',
        num_images=16,
        seed=0,
        pipeline=[dict(type='mmseg.RandomFlip', prob=0.5), dict(type='mmseg.PackSegInputs')],
    ),
)
val_dataloader = None
val_cfg = None
val_evaluator = None
test_dataloader = None
test_cfg = None
test_evaluator = None

train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=8)
param_scheduler = []
optim_wrapper = dict(optimizer=dict(lr=0.01))
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(interval=4))
