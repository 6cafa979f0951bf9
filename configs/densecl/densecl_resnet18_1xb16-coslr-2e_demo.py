# mmpcd's DenseCL with a ResNet-18, two epochs on the embedded photographs at 96 px.
# A smoke-scale run for a CPU, not a recipe (see densecl_resnet50_8xb32-coslr-200e_in1k.py).
_base_ = [
    '../_base_/datasets/demo_bs16_mocov2-96px.py',
    '../_base_/schedules/sgd_coslr-200e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    type='DenseCL',
    queue_len=1024,  # divisible by the gathered batch (16 x processes) as DenseCL requires
    feat_dim=128,
    momentum=0.001,  # mmengine EMA convention: target = (1 - m) * target + m * online
    loss_lambda=0.5,
    backbone=dict(
        type='ResNet',
        depth=18,
        norm_cfg=dict(type='SyncBN'),  # reverted to BN on one process and on CPU-only machines
        zero_init_residual=False,
    ),
    neck=dict(
        type='DenseProjection', in_channels=512, hid_channels=512, out_channels=128, num_grid=None
    ),
    head=dict(type='ContrastiveHead', loss=dict(type='CrossEntropyLoss'), temperature=0.2),
)
find_unused_parameters = True

# lr of the batch-256 recipe, kept at batch 16 so that a dozen iterations move the loss.
optim_wrapper = dict(optimizer=dict(lr=0.03))
train_cfg = dict(max_epochs=2)

default_hooks = dict(logger=dict(interval=2), checkpoint=dict(interval=1, max_keep_ckpts=2))
randomness = dict(seed=0)
