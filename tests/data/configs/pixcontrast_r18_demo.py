# PixContrast on the embedded photographs: the PixPro demo config without PPM, tau 0.3.
_base_ = '../../../configs/pixpro/pixpro_resnet18_1xb16-lars-coslr-2e_demo.py'

model = dict(
    _delete_=True,
    type='PixContrast',
    backbone=dict(type='ResNet', depth=18, out_indices=(3, ), norm_cfg=dict(type='SyncBN')),
    projector=dict(
        type='DenseProjection', in_channels=512, hid_channels=1024, out_channels=128,
        with_global=False, norm_cfg=dict(type='SyncBN')),
    temperature=0.3,
    base_momentum=0.01)
