# PCD: a ResNet-18 student distilled from the official MoCo v3 ResNet-50 (momentum encoder +
# its projector as a SpatialAdaptor), ImageNet-1k, 100 epochs, global batch 1024 (8 x 128).
# The teacher checkpoint is not shipped: download r-50-1000ep.pth.tar (facebookresearch/moco-v3)
# and pass `--cfg-options teacher_checkpoint=PATH` (an mmpretrain MoCoV3 checkpoint also works
# with `model.teacher.layout=mmpretrain_mocov3`). tools/train.py refuses to start without it.
# Upstream trains in fp32; `--amp` adds fp16 AMP (bf16: `--cfg-options optim_wrapper.dtype=
# bfloat16`), with the pixel InfoNCE in fp32 (docs/en/user_guides/pretrain.md, "AMP").
_base_ = [
    '../_base_/datasets/imagenet_bs64_pixpro.py',
    '../_base_/schedules/lars_coslr-100e_pcd.py',
    '../_base_/default_runtime.py',
]

teacher_checkpoint = None  # set it: see above

model = dict(
    type='PCD',
    queue_len=65536,
    feat_dim=256,
    pairing='same_view',  # student(v) <-> teacher(v); see README for the released code's pairing
    teacher_bn='eval',  # pretrained running statistics: the SpatialAdaptor invariance holds
    backbone=dict(type='ResNet', depth=18, out_indices=(3,), zero_init_residual=False),
    neck=dict(
        type='PCDStudentNeck',
        in_channels=512,
        hid_channels=4096,
        out_channels=256,
        projector_bias=(False, False),
        predictor_bias=(False, False),
        # The paper's plug-in MHSA (its spec is not published; see mmpcd/models/necks/mhsa.py).
        mhsa=dict(
            type='MHSA',
            in_channels=512,
            num_heads=8,
            num_layers=1,
            pos_encoding='sincos',
            ffn_ratio=4.0,
            feat_size=7,
        ),
    ),
    head=dict(type='PCDHead', temperature=0.2),
    teacher=dict(
        type='PCDTeacher',
        backbone=dict(type='ResNet', depth=50, out_indices=(3,)),
        # MoCo v3's projector fc.0/1/3 (Linear 2048-4096 no bias, BN, ReLU, Linear 4096-256
        # no bias); its final affine-free BN fc.4 is dropped.
        adaptor=dict(type='SpatialAdaptor', channels=(2048, 4096, 256), bias=False),
        checkpoint=teacher_checkpoint,
        layout='mocov3',
    ),
)

# 8 GPUs x 128 images = a global batch of 1024, the batch the official lr formula is written
# for (lr 1.0 x 1024 / 256). The released trainer loads `-b 1024` images per *process* before
# dividing the batch by the GPUs (main_pcd.py:149-157 vs :185), i.e. 8192 per step on 8 GPUs.
train_dataloader = dict(batch_size=128)
