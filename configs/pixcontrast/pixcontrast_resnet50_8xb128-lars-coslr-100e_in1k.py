# PixContrast (the PixPro paper's pixel-level contrastive baseline, Eq. 2), ResNet-50,
# ImageNet-1k, 100 epochs, with PixPro's recipe: positives closer than T = 0.7 cell diagonals,
# negatives the other view's remaining cells of the same image, tau = 0.3. Paper only: no code
# was released; see configs/pixcontrast/README.md for the choices made.
_base_ = '../pixpro/pixpro_resnet50_8xb128-lars-coslr-100e_in1k.py'

model = dict(
    _delete_=True,
    type='PixContrast',
    backbone=dict(
        type='ResNet',
        depth=50,
        out_indices=(3, ),
        norm_cfg=dict(type='SyncBN'),
        zero_init_residual=True),
    projector=dict(
        type='DenseProjection',
        in_channels=2048,
        hid_channels=4096,
        out_channels=256,
        num_layers=2,
        with_global=False,
        norm_cfg=dict(type='SyncBN')),
    pos_ratio=0.7,
    neg_ratio=None,  # e.g. 1.0 ignores the cells in [0.7, 1.0) (upstream's --pixpro-neg-ratio)
    temperature=0.3,
    base_momentum=0.01,
)
