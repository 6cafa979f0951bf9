# MasKD stage 2 for segmentation: DeepLabV3 R18-d8 (student) <- DeepLabV3 R101-d8.
# Official segmentation variant: the tokens mask the logits of the decode head (x0.5) and of
# the auxiliary head (x0.5 x 0.4) of both models; no aligners, weighting or customisation.
# CIRKD recipe: 40k iterations, batch 16 (8 GPUs x 2), SGD 0.02, weight decay 5e-4, poly 0.9
# down to 1e-4. Official mIoU 77.00 (CIRKD models and training code, not mmseg's).
_base_ = 'mmseg::deeplabv3/deeplabv3_r18-d8_4xb2-80k_cityscapes-512x1024.py'

custom_imports = dict(imports=['projects.maskd.maskd'], allow_failed_imports=False)

student = _base_.model
model = dict(
    _delete_=True,
    _scope_='mmpcd',
    type='MasKDDistiller',
    student=student,
    teacher=dict(cfg_path='mmseg::deeplabv3/deeplabv3_r101-d8_4xb2-80k_cityscapes-512x1024.py'),
    teacher_ckpt='https://download.openmmlab.com/mmsegmentation/v0.5/deeplabv3/'
    'deeplabv3_r101-d8_512x1024_80k_cityscapes/'
    'deeplabv3_r101-d8_512x1024_80k_cityscapes_20200606_113503-9e428899.pth',
    maskd_loss=dict(
        type='MasKDLoss',
        tokens='work_dirs/maskd-tokens_deeplabv3_r101-d8_8xb2-10k_cityscapes-512x1024/'
        'maskd_tokens.pth',
        channels=[19],
        weight_mask=False,
        custom_mask=False,
        loss_weight=0.5,
        eps=1e-5,
    ),
    distill_points=[
        dict(student='decode_head.conv_seg', teacher='decode_head.conv_seg'),
        dict(
            student='auxiliary_head.conv_seg',
            teacher='auxiliary_head.conv_seg',
            name='loss_maskd_aux',
            weight=0.4,
        ),
    ],
)

max_iters = 40000
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=4000)
optim_wrapper = dict(optimizer=dict(lr=0.02, weight_decay=5e-4))
param_scheduler = [
    dict(type='PolyLR', power=0.9, eta_min=1e-4, by_epoch=False, begin=0, end=max_iters)
]
default_hooks = dict(checkpoint=dict(by_epoch=False, interval=4000))
