# The demo config plus the fault-injection hooks of test_fault_tolerance.py, off by default:
# custom_hooks.0.at_save=N kills the N-th save, custom_hooks.1.rank=R stops rank R.
_base_ = ['../../../configs/densecl/densecl_resnet18_1xb16-coslr-2e_demo.py']

custom_imports = dict(imports=['tests.data.fault_hooks'], allow_failed_imports=False)
custom_hooks = [dict(type='KillDuringSaveHook', at_save=0), dict(type='StopRankHook', rank=-1)]
