# PixPro with the instance branch (the paper's "PixPro*", weight 1), ResNet-50, 100 epochs.
# BYOL-style as the released code (--pixpro-ins-loss-weight 1): an online projector and
# predictor on C5, pooled, regress the pooled momentum projection of the other view.
# Set `model.ins_loss='simclr'` for the paper's SimCLR-style description instead.
_base_ = './pixpro_resnet50_8xb128-lars-coslr-100e_in1k.py'

model = dict(
    ins_loss_weight=1.,
    ins_loss='byol',
    ins_projector=dict(
        type='DenseProjection',
        in_channels=2048,
        hid_channels=4096,
        out_channels=256,
        num_layers=2,
        with_global=False,
        norm_cfg=dict(type='SyncBN')),
    ins_predictor=dict(
        type='DenseProjection',
        in_channels=256,
        hid_channels=4096,
        out_channels=256,
        num_layers=2,
        with_global=False,
        norm_cfg=dict(type='SyncBN')),
)
