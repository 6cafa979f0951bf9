# The demo config, tiny, plus a hook that proves every rank trained (test_dist_train.py).
_base_ = ['../../../configs/densecl/densecl_resnet18_1xb16-coslr-2e_demo.py']

custom_imports = dict(imports=['tests.data.rank_marker_hook'], allow_failed_imports=False)
custom_hooks = [dict(type='RankMarkerHook')]

model = dict(queue_len=64)
train_dataloader = dict(batch_size=4, num_workers=0, dataset=dict(indices=16))
train_cfg = dict(max_epochs=1)
