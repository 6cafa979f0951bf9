"""``MultiViewWithCoord``: mmpretrain's ``MultiView`` that also collects each view's crop box."""

import copy
from typing import Callable, List, Optional, Union

import numpy as np
from mmcv.transforms import Compose
from mmpretrain.datasets.transforms import MultiView

from mmpcd.registry import TRANSFORMS

from .geometry_guard import check_shape_unchanged, check_view_pipeline

Transform = Union[dict, Callable[[dict], dict]]


@TRANSFORMS.register_module()
class MultiViewWithCoord(MultiView):
    """Make V views of an image, each with the box (``coord``) it was cropped from.

    Arguments and view order are mmpretrain's :class:`MultiView`: ``transforms[i]`` is run
    ``num_views[i]`` times, pipelines in order (e.g. ``num_views=[1, 1]`` with
    ``transforms=[view1, view2]`` for asymmetric BYOL/PixPro views).

    Every view pipeline must keep ``coord`` true to its output image; this is checked when the
    wrapper is built (see :mod:`mmpcd.datasets.transforms.geometry_guard`) and raises
    ``ValueError`` naming the offending transform, the pipeline and the fix. At run time, a
    transform after the crop that changes the image's (H, W) raises ``RuntimeError``.

    **Required Keys:** ``img`` (the uncropped image, (H, W[, C]))

    **Modified Keys:** ``img``: list of the V view images

    **Added Keys:**

    - ``coord`` (np.float32, (V, 4)): each view's normalised ``[x_ul, y_ul, x_lr, y_lr]``
      (flips swap entries, see :class:`RandomFlipWithCoord`).
    - ``crop_box`` (np.float32, (V, 4)): the same in original pixels.
    - ``coord_ori_shape`` (tuple): ``(H, W)`` of the image all views were cropped from.

    Pack with ``dict(type='PackInputs', algorithm_keys=['coord'])`` to get a ``(V, 4)`` array in
    each ``DataSample.coord``.

    Args:
        transforms: One list of transforms (configs or callables) per view pipeline.
        num_views: Views per pipeline; an int applies to a single pipeline.
    """

    def __init__(self, transforms: List[List[Transform]], num_views: Union[int, List[int]]) -> None:
        super().__init__(transforms, num_views)
        # Name of the pipeline behind each entry of ``self.transforms``, for error messages.
        self._where: List[str] = []
        for i, (pipeline, count) in enumerate(zip(self.pipelines, self.num_views)):
            views = list(range(len(self._where), len(self._where) + count))
            check_view_pipeline(
                pipeline.transforms, f'{type(self).__name__} transforms[{i}] (views {views})'
            )
            self._where.extend([f'{type(self).__name__} transforms[{i}]'] * count)

    @staticmethod
    def _run_view(pipeline: Compose, results: dict, where: str) -> Optional[dict]:
        """Run one view pipeline step by step, guarding the image size after the crop."""
        crop_shape = None
        for transform in pipeline.transforms:
            results = transform(results)
            if results is None:  # a transform dropped the sample, as Compose allows
                return None
            if crop_shape is not None:
                check_shape_unchanged(transform, results['img'].shape, crop_shape, where)
            elif getattr(transform, 'produces_coord', False):
                crop_shape = results['img'].shape[:2]
        return results

    def transform(self, results: dict) -> Optional[dict]:
        """Make the views of ``results['img']`` and stack their boxes.

        Args:
            results: Result dict with the uncropped ``img``.

        Returns:
            ``results`` with ``img`` (list of V images), ``coord`` and ``crop_box`` (V, 4),
            ``coord_ori_shape``; None if a view pipeline dropped the sample.
        """
        views = []
        for index, (pipeline, where) in enumerate(zip(self.transforms, self._where)):
            view = self._run_view(pipeline, copy.deepcopy(results), f'{where} (view {index})')
            if view is None:
                return None
            views.append(view)

        results['img'] = [view['img'] for view in views]
        results['coord'] = np.stack([view['coord'] for view in views]).astype(np.float32)
        results['crop_box'] = np.stack([view['crop_box'] for view in views]).astype(np.float32)
        # Only geometry-preserving transforms may precede the crop, so all views agree.
        results['coord_ori_shape'] = views[0]['coord_ori_shape']
        return results
