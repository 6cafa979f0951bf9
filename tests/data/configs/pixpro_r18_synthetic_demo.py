# The PixPro demo config on unlabeled SyntheticDenseDataset images (160 at 64 px, 10 iterations
# an epoch): in-domain pre-training brief enough for a test, whose backbone the dense probe
# must tell from the config's random initialisation.
_base_ = '../../../configs/pixpro/pixpro_resnet18_1xb16-lars-coslr-2e_demo.py'

train_dataloader = dict(
    num_workers=0,
    dataset=dict(
        _delete_=True,
        type='SyntheticDenseDataset',
        num_images=160,
        seed=100,  # not the probe's splits (seeds 0 and 1)
        pipeline=[
            dict(
                type='MultiViewWithCoord',
                num_views=[1, 1],
                transforms=[{{_base_.view_pipeline1}}, {{_base_.view_pipeline2}}]),
            dict(type='PackInputs', algorithm_keys=['coord'])
        ]))
default_hooks = dict(logger=dict(interval=5))
