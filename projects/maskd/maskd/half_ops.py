"""mmcv's NMS and RoIAlign on float16/bfloat16 inputs, for mmdet detectors under autocast.

mmcv's CPU kernels read float32 only and its CUDA kernels have no bfloat16, so mmdet's two-stage
detectors fail under bfloat16 autocast (``expected scalar type Float but found BFloat16`` in
the RPN's NMS, ``"ROIAlign_forward" not implemented for 'BFloat16'`` in the RoI extractor).
Both run here on float32 copies of half inputs: NMS returns indices (unchanged by the cast),
RoIAlign's result is cast back to the input's dtype (autograd carries the gradient through the
casts). Float32 inputs run exactly as before. Applied once when ``projects.maskd.maskd`` is
imported: the MasKD models train mmdet detectors under ``--amp``.
"""

import functools

import torch

HALF = (torch.float16, torch.bfloat16)
_PATCHED = '__mmpcd_float32_inside__'


def _nms_on_float32(forward):

    @functools.wraps(forward)
    def wrapper(ctx, bboxes, scores, *args, **kwargs):
        if bboxes.dtype in HALF:
            bboxes, scores = bboxes.float(), scores.float()
        return forward(ctx, bboxes, scores, *args, **kwargs)

    setattr(wrapper, _PATCHED, True)
    return wrapper


def _roi_align_on_float32(forward):

    @functools.wraps(forward)
    def wrapper(self, feats, rois):
        if feats.dtype in HALF:
            return forward(self, feats.float(), rois.float()).to(feats.dtype)
        return forward(self, feats, rois)

    setattr(wrapper, _PATCHED, True)
    return wrapper


def patch_mmcv_half_ops() -> None:
    """Let ``mmcv.ops.nms`` (and ``batched_nms``) and ``mmcv.ops.RoIAlign`` take half inputs."""
    try:
        from mmcv.ops.nms import NMSop
        from mmcv.ops.roi_align import RoIAlign
    except ImportError:  # mmcv without its ops: nothing to patch
        return
    if not getattr(NMSop.forward, _PATCHED, False):
        NMSop.forward = staticmethod(_nms_on_float32(NMSop.forward))
    if not getattr(RoIAlign.forward, _PATCHED, False):
        RoIAlign.forward = _roi_align_on_float32(RoIAlign.forward)
