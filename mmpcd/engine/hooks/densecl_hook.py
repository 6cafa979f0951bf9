"""DenseCL's lambda warm-up is mmpretrain's ``DenseCLHook`` (the official hook: the dense
loss is off, ``loss_lambda = 0``, for the first ``start_iters`` iterations).

mmpcd's configs named it ``DenseCLWarmupHook`` before; that name stays registered for the
same class so that those configs keep building. ``type='DenseCLHook'`` resolves through
mmpretrain's registry, the parent of mmpcd's.
"""

from mmpretrain.engine.hooks import DenseCLHook

from mmpcd.registry import HOOKS

HOOKS.register_module(name='DenseCLWarmupHook', module=DenseCLHook)
