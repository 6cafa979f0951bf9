# PixContrast on the embedded photographs: the PixPro demo config without PPM, tau 0.3.
_base_ = '../../../configs/pixpro/pixpro_resnet18_1xb16-lars-coslr-2e_demo.py'

model = dict(
    type='PixContrast',
    ppm=None,
    head=dict(_delete_=True, type='PixContrastHead', temperature=0.3, pos_ratio=0.7))
