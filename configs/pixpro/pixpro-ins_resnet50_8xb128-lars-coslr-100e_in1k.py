# PixPro with the instance branch (the paper's "PixPro*", weight 1), ResNet-50, 100 epochs.
# BYOL-style as the released code (--pixpro-ins-loss-weight 1): an online projector and
# predictor on C5, pooled, regress the pooled momentum projection of the other view.
# Set `model.ins_loss='simclr'` for the paper's SimCLR-style description instead.
_base_ = './pixpro_resnet50_8xb128-lars-coslr-100e_in1k.py'

# Both are MLP2d(C, 4096, 256) as the pixel projector, on the pooled C5 / the projection.
model = dict(
    ins_loss_weight=1.0,
    ins_loss='byol',
    ins_projector=_base_.model.projector,
    ins_predictor=dict(_base_.model.projector, in_channels=256),
)
