# MasKD stage 1 for detection teachers, the official recipe (hunto/MasKD
# mmdetection/configs/maskd/*.py, maskd_hook.py): 6 receptive tokens per FPN level (5 levels
# of 256 channels, module `neck`, with the weighting branch) learned on the frozen teacher for
# 2000 iterations at 8 GPUs x 2 images, Adam lr 0.01 / weight decay 1e-3, cosine to 1e-6
# without warm-up; a validation at the end measures the teacher on masked features (a sanity
# metric). <work_dir>/maskd_tokens.pth is written every 500 iterations and at the end.
#
# Each stage-1 config also inherits its teacher's mmdet config, which defines train_cfg,
# optim_wrapper, param_scheduler, ... as well, and mmengine refuses a key in two bases: the
# recipe is therefore kept under `maskd_tokens` and a config takes it key by key
# (`train_cfg = _base_.maskd_tokens.train_cfg`).
custom_imports = dict(imports=['projects.maskd.maskd'], allow_failed_imports=False)
custom_hooks = [dict(_scope_='mmpcd', type='ExportTokensHook', interval=500)]

maskd_tokens = dict(
    # + teacher=<the mmdet model>, teacher_ckpt=<its checkpoint>
    model=dict(
        _delete_=True,
        _scope_='mmpcd',
        type='MaskLearner',
        channels=[256] * 5,
        module='neck',
        num_tokens=6,
        weight_mask=True,
    ),
    train_cfg=dict(_delete_=True, type='IterBasedTrainLoop', max_iters=2000, val_interval=2000),
    optim_wrapper=dict(
        _delete_=True, type='OptimWrapper', optimizer=dict(type='Adam', lr=0.01, weight_decay=1e-3)
    ),
    param_scheduler=[
        dict(type='CosineAnnealingLR', T_max=2000, eta_min=1e-6, by_epoch=False, begin=0, end=2000)
    ],
    default_hooks=dict(checkpoint=dict(by_epoch=False, interval=500)),
    log_processor=dict(by_epoch=False),
)
