# Runtime shared by all mmpcd configs.
default_scope = 'mmpcd'
# MMPCDRunner = mmengine Runner + weights-only checkpoint reading, atomic saving with RNG
# states, the PCD teacher resolution, a process-group timeout and CPU (gloo) distributed runs.
runner_type = 'MMPCDRunner'

default_hooks = dict(
    runtime_info=dict(type='RuntimeInfoHook'),
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50),
    param_scheduler=dict(type='ParamSchedulerHook'),
    # Deletes old checkpoints only once the new one is on disk.
    checkpoint=dict(type='SafeCheckpointHook', interval=10, max_keep_ckpts=3),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    # Stops at the first NaN/inf loss or parameter; never saves a non-finite checkpoint.
    non_finite_guard=dict(type='NonFiniteGuardHook'),
)

# Also log the optimizer's momentum and the momentum encoder's EMA momentum (lr is logged by
# mmengine itself).
custom_hooks = [dict(type='MomentumLoggerHook')]

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    # MMPCDRunner switches to gloo when CUDA is absent. timeout (s): a rank that stops
    # answering ends the job with an error after this long.
    dist_cfg=dict(backend='nccl', timeout=1800),
)

vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='UniversalVisualizer', vis_backends=vis_backends)

# Self-supervised losses are noisy: also log the total loss's mean over the whole run, as
# `loss_run_mean` (mmengine's LogProcessor: data_src names a logged key).
log_processor = dict(
    window_size=10,
    custom_cfg=[
        dict(data_src='loss', log_name='loss_run_mean', method_name='mean', window_size='global')
    ],
)
log_level = 'INFO'

load_from = None
resume = False
randomness = dict(seed=None, deterministic=False)
