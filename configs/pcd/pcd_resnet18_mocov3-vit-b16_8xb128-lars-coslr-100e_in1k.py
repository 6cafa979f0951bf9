# PCD with the official code's MoCo v3 ViT-B/16 teacher (pcd/teacher_model/mocov3_vit.py): the
# momentum encoder's patch tokens after its final norm, as a 14 x 14 map at 224 px (class token
# left out), through its 3-layer projector made spatial (768-4096-4096-256, no bias; the final
# affine-free BN head.7 dropped), average-pooled to the ResNet-18 student's 7 x 7. The student
# head is the MoCo v3 one (4096-256, no bias). Teacher: the official vit-b-300ep.pth.tar
# (facebookresearch/moco-v3) via teacher_checkpoint. The head was trained on the class token,
# so the pooled pixel targets are not its output on it (see README).
_base_ = './pcd_resnet18_mocov3-resnet50_8xb128-lars-coslr-100e_in1k.py'

model = dict(
    teacher=dict(
        backbone=dict(
            _delete_=True,
            type='VisionTransformer',
            arch='b',  # 768 channels, 12 layers, 12 heads, LayerNorm eps 1e-6, qkv bias
            img_size=224,
            patch_size=16,
            out_type='featmap',
            final_norm=True,
        ),
        adaptor=dict(channels=(768, 4096, 4096, 256), bias=False),
        layout='mocov3_vit',
        out_size=7,
    )
)
