# The embedded photographs of data/demo/ as an unlabeled two-view set: the MoCo v2 views of
# imagenet_bs32_mocov2.py with 96 px crops (small enough for a CPU).
_base_ = ['./imagenet_bs32_mocov2.py']

import os.path as osp  # noqa: E402 - after _base_: before it mmengine reads a lazy-import config

dataset_type = 'CustomDataset'
# data/demo/ of the mmpcd checkout (or of an installed mmpcd/.mim), found from this file with
# symlinks resolved: a config inheriting this one through `mmpcd::` runs from any directory.
data_root = osp.realpath('{{ fileDirname }}/../../../data/demo') + '/'

view_pipeline = [
    dict(step, scale=96) if step.type == 'RandomResizedCrop' else step
    for step in _base_.view_pipeline
]

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='MultiView', num_views=2, transforms=[view_pipeline]),
    dict(type='PackInputs'),
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
