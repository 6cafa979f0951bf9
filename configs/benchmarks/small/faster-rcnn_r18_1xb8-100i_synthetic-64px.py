# The MasKD benchmark's detector (teacher and student): the tiny Faster R-CNN of
# projects/maskd/configs/tiny on the small benchmark's synthetic images and boxes, 100
# iterations x 8 (the teacher: tools/benchmarks/dense_bench.py sets 300), COCO box AP on 64
# held-out images at the end.
_base_ = [
    '../../../projects/maskd/configs/tiny/faster-rcnn_r18_tiny_synthetic.py',
    './_base_/small_scale.py',
]

from mmpcd.utils import small_scale  # noqa: E402 - after _base_, else a lazy-import config

# The small-scale changes (mmpcd/utils/small_scale.py).
globals().update(small_scale.detection_changes(_base_, iters=_base_.small_det_iters))
