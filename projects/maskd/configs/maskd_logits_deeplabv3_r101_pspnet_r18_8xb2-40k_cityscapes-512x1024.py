# MasKD stage 2 for segmentation: PSPNet R18-d8 (student) <- DeepLabV3 R101-d8, with the
# recipe of the DeepLabV3-R18 config (official segmentation variant, CIRKD recipe: 40k
# iterations, batch 16, SGD 0.02, weight decay 5e-4, poly 0.9 down to 1e-4). Official mIoU
# 75.34 (CIRKD models and training code, not mmseg's).
_base_ = './maskd_logits_deeplabv3_r101_deeplabv3_r18_8xb2-40k_cityscapes-512x1024.py'

model = dict(
    student=dict(
        _delete_=True, cfg_path='mmseg::pspnet/pspnet_r18-d8_4xb2-80k_cityscapes-512x1024.py'
    )
)
