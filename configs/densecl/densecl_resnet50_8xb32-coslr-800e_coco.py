# DenseCL, ResNet-50, COCO train2017 (unlabeled), 800 epochs: the official COCO recipe
# (lr 0.3, 462 iterations per epoch at 8 x 32 images).
_base_ = './densecl_resnet50_8xb32-coslr-200e_in1k.py'

train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='CustomDataset',
        data_root='data/coco/',
        data_prefix='train2017',
        with_label=False,
        pipeline={{_base_.train_pipeline}},
    )
)

optim_wrapper = dict(optimizer=dict(lr=0.3))
train_cfg = dict(max_epochs=800)
default_hooks = dict(checkpoint=dict(interval=50))
