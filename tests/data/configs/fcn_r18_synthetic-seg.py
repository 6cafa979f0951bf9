# A tiny mmseg segmentor trained and tested in the mmpcd scope on SyntheticDenseDataset:
# exercises tools/test.py (and dist_test.sh) with a real test loop and metric.
_base_ = ['../../../configs/_base_/default_runtime.py']

norm_cfg = dict(type='BN', requires_grad=True)
model = dict(
    _scope_='mmseg',  # every nested type resolves in mmseg (ResNetV1c, FCNHead, ...)
    type='EncoderDecoder',
    data_preprocessor=dict(
        type='SegDataPreProcessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_val=0,
        seg_pad_val=255,
        size=(64, 64)),
    backbone=dict(
        type='ResNetV1c',
        depth=18,
        out_indices=(3, ),
        dilations=(1, 1, 2, 4),
        strides=(1, 2, 1, 1),
        norm_cfg=norm_cfg,
        contract_dilation=True),
    decode_head=dict(
        type='FCNHead',
        in_channels=512,
        in_index=0,
        channels=32,
        num_convs=1,
        concat_input=False,
        dropout_ratio=0.1,
        num_classes=6,
        norm_cfg=norm_cfg,
        align_corners=False,
        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))

train_dataloader = dict(
    batch_size=4,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type='SyntheticDenseDataset',
        num_images=16,
        seed=0,
        pipeline=[dict(type='mmseg.RandomFlip', prob=0.5), dict(type='mmseg.PackSegInputs')]))
test_dataloader = dict(
    batch_size=2,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='SyntheticDenseDataset',
        num_images=8,
        seed=1,
        test_mode=True,
        pipeline=[dict(type='mmseg.PackSegInputs')]))
test_evaluator = dict(type='mmseg.IoUMetric', iou_metrics=['mIoU'])

optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=0.01, momentum=0.9))
train_cfg = dict(type='IterBasedTrainLoop', max_iters=4)
test_cfg = dict(type='TestLoop')
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(by_epoch=False, interval=4))
