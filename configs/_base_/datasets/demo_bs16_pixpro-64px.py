# The embedded photographs of data/demo/ as an unlabeled set of two views with crop boxes,
# PixPro's (BYOL-style) augmentations at 64 px: small enough for a CPU.
_base_ = ['./imagenet_bs64_pixpro.py']

dataset_type = 'CustomDataset'
data_root = 'data/demo/'

view_pipeline_shared = [
    dict(
        type='RandomResizedCropWithCoord',
        scale=64,
        crop_ratio_range=(0.08, 1.),
        interpolation='bilinear',
        backend='pillow'),
    dict(type='RandomFlipWithCoord', prob=0.5, direction='horizontal'),
    dict(
        type='RandomApply',
        transforms=[
            dict(type='ColorJitter', brightness=0.4, contrast=0.4, saturation=0.2, hue=0.1)
        ],
        prob=0.8),
    dict(
        type='RandomGrayscale',
        prob=0.2,
        keep_channels=True,
        channel_weights=(0.114, 0.587, 0.2989)),
]
view_pipeline1 = view_pipeline_shared + [
    dict(type='GaussianBlur', magnitude_range=(0.1, 2.0), magnitude_std='inf', prob=1.),
    dict(type='Solarize', thr=128, prob=0.),
]
view_pipeline2 = view_pipeline_shared + [
    dict(type='GaussianBlur', magnitude_range=(0.1, 2.0), magnitude_std='inf', prob=0.1),
    dict(type='Solarize', thr=128, prob=0.2),
]

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='MultiViewWithCoord',
        num_views=[1, 1],
        transforms=[view_pipeline1, view_pipeline2]),
    dict(type='PackInputs', algorithm_keys=['coord'])
]

train_dataloader = dict(
    batch_size=16,
    num_workers=2,
    persistent_workers=False,
    dataset=dict(
        _delete_=True,
        type=dataset_type,
        data_root=data_root,
        data_prefix='images',
        with_label=False,
        pipeline=train_pipeline))
