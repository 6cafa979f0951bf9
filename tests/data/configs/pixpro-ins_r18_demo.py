# The PixPro demo config with the BYOL-style instance branch (weight 1), narrow heads.
_base_ = '../../../configs/pixpro/pixpro_resnet18_1xb16-lars-coslr-2e_demo.py'

model = dict(
    ins_loss_weight=1.,
    ins_projector=dict(
        type='DenseProjection', in_channels=512, hid_channels=256, out_channels=128,
        with_global=False, norm_cfg=dict(type='SyncBN')),
    ins_predictor=dict(
        type='DenseProjection', in_channels=128, hid_channels=256, out_channels=128,
        with_global=False, norm_cfg=dict(type='SyncBN')))
