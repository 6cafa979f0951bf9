# PixPro's own linear evaluation (zdaxie/PixPro main_linear.py with the defaults of
# contrast/option.py for stage='linear'): frozen ResNet-50, an fc on the pooled C5 (no BN),
# SGD lr 30 at total batch 256, momentum 0.9, no weight decay, 5 epochs of linear warm-up from
# lr/100 then cosine to 1e-6 per iteration, 100 epochs, RandomResizedCrop scale (0.08, 1) +
# flip, AMP. The paper reports 55.1 % (PixPro, 100 ep) / 66.3 % (with the instance branch).
# It differs from the MoCo v2 / DenseCL protocol of resnet50_8xb32-linear-steplr-100e_in1k.py
# only in the schedule (cosine with warm-up instead of steps at 60/80) and AMP.
_base_ = './resnet50_8xb32-linear-steplr-100e_in1k.py'

optim_wrapper = dict(type='AmpOptimWrapper', loss_scale='dynamic')
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=1e-2,
        by_epoch=True,
        begin=0,
        end=5,
        convert_to_iter_based=True),
    # to the end of training (train_cfg.max_epochs = 100)
    dict(
        type='CosineAnnealingLR',
        eta_min=1e-6,
        by_epoch=True,
        begin=5,
        convert_to_iter_based=True)
]
