# The PCD demo config with a small MoCo v3-shaped ViT teacher (patch 16 at 64 px: 4 x 4 tokens,
# pooled to the ResNet-18 student's 2 x 2) and its 3-layer head 64-128-128-64, in the layout
# of pcd_resnet18_mocov3-vit-b16_8xb128-lars-coslr-100e_in1k.py.
_base_ = '../../../configs/pcd/pcd_resnet18_mocov3-resnet18_1xb8-lars-coslr-2e_demo.py'

model = dict(
    teacher=dict(
        backbone=dict(
            _delete_=True,
            type='VisionTransformer',
            arch=dict(embed_dims=64, num_layers=2, num_heads=2, feedforward_channels=128),
            img_size=64,
            patch_size=16,
            out_type='featmap',
            final_norm=True),
        adaptor=dict(channels=(64, 128, 128, 64), bias=False),
        layout='mocov3_vit',
        out_size=2))
