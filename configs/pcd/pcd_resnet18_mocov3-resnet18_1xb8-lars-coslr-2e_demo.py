# Smoke-scale PCD for a CPU: ResNet-18 student and a ResNet-18 teacher with a MoCo v3-shaped
# head (512-256-64), 64 px views of the embedded photographs (data/demo), 2 epochs. Not a
# recipe (see pcd_resnet18_mocov3-resnet50_8xb128-lars-coslr-100e_in1k.py). Name the teacher
# with `--cfg-options teacher_checkpoint=PATH`, a MoCo v3-layout checkpoint of this ResNet-18
# teacher (`make demo` converts its PixPro teacher; the tests build a synthetic one), or
# `teacher_checkpoint=random` for a smoke test with a random teacher.
_base_ = ['./pcd_resnet18_mocov3-resnet50_8xb128-lars-coslr-100e_in1k.py']

import os.path as osp  # noqa: E402 - after _base_: before it mmengine reads a lazy-import config

teacher_checkpoint = None  # set it on the command line, see above
# The embedded photographs, found from this file whatever the working directory.
data_root = osp.realpath('{{ fileDirname }}/../../data/demo') + '/'

model = dict(
    queue_len=64,  # at least the gathered batch (8 x processes)
    feat_dim=64,
    neck=dict(hid_channels=256, out_channels=64, mhsa=dict(feat_size=2)),  # 64 px / stride 32
    teacher=dict(
        backbone=dict(depth=18),
        adaptor=dict(channels=(512, 256, 64)),
        checkpoint=teacher_checkpoint,
    ),
)

# The ImageNet PixPro views (imagenet_bs64_pixpro.py) at 64 px, lighter: no grayscale step, the
# blur only in view 1 and the solarization only in view 2.
view_pipeline_shared = [
    dict(step, scale=64) if step.type == 'RandomResizedCropWithCoord' else step
    for step in _base_.view_pipeline_shared
    if step.type != 'RandomGrayscale'
]
train_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=False,
    dataset=dict(
        _delete_=True,
        type='CustomDataset',
        data_root=data_root,
        data_prefix='images',
        with_label=False,
        pipeline=[
            dict(type='LoadImageFromFile'),
            dict(
                type='MultiViewWithCoord',
                num_views=[1, 1],
                transforms=[
                    view_pipeline_shared + [_base_.view_pipeline1[-2]],  # blur, p = 1
                    view_pipeline_shared + [_base_.view_pipeline2[-1]],  # solarize, p = 0.2
                ],
            ),
            dict(type='PackInputs', algorithm_keys=['coord']),
        ],
    ),
)

# lr of global batch 256 (1.0), kept at batch 8 so that a few iterations move the loss.
optim_wrapper = dict(optimizer=dict(lr=1.0))
param_scheduler = [dict(type='CosineAnnealingLR', T_max=2, by_epoch=True, begin=0, end=2)]
train_cfg = dict(max_epochs=2)

default_hooks = dict(logger=dict(interval=2), checkpoint=dict(interval=1, max_keep_ckpts=2))
randomness = dict(seed=0)
