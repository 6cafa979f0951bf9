# The values of the one set of changes that shrinks every recipe of the small dense benchmark
# (tools/benchmarks/dense_bench.py, docs/en/dense_bench.md) to a 2-core CPU run. Each config of
# this folder inherits its method's real config plus this file and applies exactly these
# values through mmpcd/utils/small_scale.py (the rewrite, written once: crops, data, schedule,
# lr scaling, fp32, probe hook), so every method gets the same backbone (ResNet-18), data,
# image size, crop range, iterations x batch and queue length, and keeps everything else of its
# recipe.
small_img_size = 64
small_batch = 32
small_iters = 100
# Crop area range of every RandomResizedCrop (the recipes use 0.08 or 0.2); one value for all.
small_crop_ratio_range = (0.2, 1.0)
# MoCo v2 / DenseCL / PCD queues: 65536 keys would outlast the whole run (3200 samples).
small_queue_len = 1024
# Unlabelled for the self-supervised methods; its dense labels train the supervised reference.
small_train_dataset = dict(
    type='SyntheticDenseDataset',
    _scope_='mmpcd',  # mmpretrain's configs build their datasets in the mmpretrain scope
    num_images=small_batch * small_iters,  # one epoch = the whole run
    img_shape=(small_img_size, small_img_size),
    seed=100,
)  # not the dense probe's splits (seeds 0 and 1)
# Online dense probe during pre-training (mmpcd.engine.hooks.DenseProbeHook): half-way and at
# the end, on smaller splits than the final evaluation's.
small_probe_hook = dict(
    type='DenseProbeHook',
    _scope_='mmpcd',
    interval=small_iters // 2,
    settings=dict(num_train=96, num_val=48, iters=150),
)

# MasKD on the tiny detection pair (projects/maskd/configs/tiny): ResNet-18 Faster R-CNNs with
# a 32-channel FPN on the same synthetic images with their boxes. The student budget; the
# teacher trains 3x longer (same architecture: a better-trained teacher, as MasKD assumes).
small_det_batch = 8
small_det_iters = 100
small_det_teacher_iters = 3 * small_det_iters
small_token_iters = 50  # MasKD stage 1 (receptive tokens on the frozen teacher)
small_det_val_dataset = dict(
    type='SyntheticDenseDataset',
    _scope_='mmpcd',
    num_images=64,
    img_shape=(small_img_size, small_img_size),
    seed=1,  # the dense probe's val split
    test_mode=True,
    metainfo=dict(classes=('circle', 'square', 'triangle', 'ring', 'cross')),
)  # THING_CLASSES
