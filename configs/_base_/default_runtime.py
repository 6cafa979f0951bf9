# Runtime shared by all mmpcd configs.
default_scope = 'mmpcd'
# MMPCDRunner = mmengine Runner + resume under torch>=2.6 + CPU (gloo) distributed runs.
runner_type = 'MMPCDRunner'

default_hooks = dict(
    runtime_info=dict(type='RuntimeInfoHook'),
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', interval=10, max_keep_ckpts=3),
    sampler_seed=dict(type='DistSamplerSeedHook'),
)

# Also log the optimizer's momentum and the momentum encoder's EMA momentum (lr is logged by
# mmengine itself).
custom_hooks = [dict(type='MomentumLoggerHook')]

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    # MMPCDRunner switches to gloo when CUDA is absent.
    dist_cfg=dict(backend='nccl'),
)

vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='UniversalVisualizer', vis_backends=vis_backends)

# Self-supervised losses are noisy: also log their mean over the whole run.
log_processor = dict(
    window_size=10,
    custom_cfg=[dict(data_src='', method='mean', window_size='global')])
log_level = 'INFO'

load_from = None
resume = False
randomness = dict(seed=None, deterministic=False)
