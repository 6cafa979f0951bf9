# The embedded photographs of data/demo/ as an unlabeled set of two views with crop boxes:
# the PixPro (BYOL-style) views of imagenet_bs64_pixpro.py with 64 px crops, small enough for
# a CPU.
_base_ = ['./imagenet_bs64_pixpro.py']

import os.path as osp  # noqa: E402 - after _base_: before it mmengine reads a lazy-import config

dataset_type = 'CustomDataset'
# data/demo/ of the mmpcd checkout (or of an installed mmpcd/.mim), found from this file with
# symlinks resolved: a config inheriting this one through `mmpcd::` runs from any directory.
data_root = osp.realpath('{{ fileDirname }}/../../../data/demo') + '/'

view_pipeline_shared, view_pipeline1, view_pipeline2 = (
    [dict(step, scale=64) if step.type == 'RandomResizedCropWithCoord' else step for step in view]
    for view in (_base_.view_pipeline_shared, _base_.view_pipeline1, _base_.view_pipeline2)
)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='MultiViewWithCoord', num_views=[1, 1], transforms=[view_pipeline1, view_pipeline2]),
    dict(type='PackInputs', algorithm_keys=['coord']),
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
        pipeline=train_pipeline,
    ),
)
