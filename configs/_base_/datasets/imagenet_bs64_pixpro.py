# Two asymmetric views of each ImageNet image with PixPro's (BYOL-style) augmentations and the
# crop box of every view (`coord`, (2, 4) per sample) for the pixel-correspondence mask.
# Official recipe (zdaxie/PixPro, `--aug BYOL --crop 0.08 --image-size 224`): bilinear
# RandomResizedCrop with scale (0.08, 1), horizontal flip, ColorJitter(0.4, 0.4, 0.2, 0.1)
# p=0.8, grayscale p=0.2, Gaussian blur (PIL radius ~ U(0.1, 2)) p=1.0 / 0.1, solarize p=0 / 0.2.
# Labels are not used. 64 images per GPU; the official batch is 1024 (8 GPUs x 128).
dataset_type = 'ImageNet'
data_root = 'data/imagenet/'
data_preprocessor = dict(
    type='SelfSupDataPreprocessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True,
)

# Only coord-aware (`*WithCoord`) or photometric transforms may follow the crop:
# MultiViewWithCoord refuses anything else when it is built.
# The two views differ only in their last two steps (blur and solarize probabilities).
view_pipeline_shared = [
    dict(
        type='RandomResizedCropWithCoord',
        scale=224,
        crop_ratio_range=(0.08, 1.0),
        interpolation='bilinear',
        backend='pillow',
    ),
    dict(type='RandomFlipWithCoord', prob=0.5, direction='horizontal'),
    dict(
        type='RandomApply',
        transforms=[
            dict(type='ColorJitter', brightness=0.4, contrast=0.4, saturation=0.2, hue=0.1)
        ],
        prob=0.8,
    ),
    # Images are BGR here, hence the reversed ITU-R 601 luma weights.
    dict(
        type='RandomGrayscale', prob=0.2, keep_channels=True, channel_weights=(0.114, 0.587, 0.2989)
    ),
]
view_pipeline1 = view_pipeline_shared + [
    dict(type='GaussianBlur', magnitude_range=(0.1, 2.0), magnitude_std='inf', prob=1.0),
    dict(type='Solarize', thr=128, prob=0.0),
]
view_pipeline2 = view_pipeline_shared + [
    dict(type='GaussianBlur', magnitude_range=(0.1, 2.0), magnitude_std='inf', prob=0.1),
    dict(type='Solarize', thr=128, prob=0.2),
]

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='MultiViewWithCoord', num_views=[1, 1], transforms=[view_pipeline1, view_pipeline2]),
    dict(type='PackInputs', algorithm_keys=['coord']),
]

train_dataloader = dict(
    batch_size=64,
    # One worker runs this pipeline at 55-80 img/s (docs/en/benchmarks.md, "Data loading"), so
    # 12 feed 650-950 img/s per GPU; tools/analysis_tools/gpu_check.py prints how many a GPU's
    # step needs. 12 workers need >= 13 cores per GPU: lower it on smaller nodes.
    num_workers=12,
    pin_memory=True,
    drop_last=True,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type=dataset_type, data_root=data_root, split='train', pipeline=train_pipeline),
)
