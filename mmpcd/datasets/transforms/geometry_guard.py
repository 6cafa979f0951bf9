"""Checks that a view pipeline keeps ``coord`` true to the image it describes.

``coord`` is written once, by the crop, and only coord-aware transforms update it. Any other
transform that moves pixels after the crop (a plain flip, a rotation, a resize, a second crop)
would silently make ``coord`` wrong, so such pipelines are refused:

- statically, by :func:`check_view_pipeline` when :class:`MultiViewWithCoord` is built;
- at run time, by :func:`check_shape_unchanged`, which catches shape changes the static check
  could not see (e.g. a transform that wrongly declares ``preserves_geometry = True``).

A transform is accepted when it

- produces ``coord`` (class attribute ``produces_coord = True``): exactly one, at the top level
  of the view pipeline, before any coord-aware transform;
- updates ``coord`` itself (``updates_coord = True``): only after the crop;
- keeps every pixel where it is (``preserves_geometry = True``, or one of the allow-listed
  mmcv/mmpretrain classes below): anywhere;
- is a ``Compose``/``RandomApply``/``RandomChoice`` wrapper whose inner transforms are all
  accepted by the same rules.
"""

from typing import Callable, List, Sequence, Tuple

from mmcv.transforms import (
    Compose,
    Normalize,
    RandomApply,
    RandomChoice,
    RandomFlip,
    RandomGrayscale,
)
from mmpretrain.datasets.transforms import (
    AutoContrast,
    Brightness,
    ColorJitter,
    ColorTransform,
    Contrast,
    Cutout,
    Equalize,
    GaussianBlur,
    Invert,
    Lighting,
    Posterize,
    RandomErasing,
    RandomResizedCrop,
    Sharpness,
    Solarize,
    SolarizeAdd,
)

# Exact classes (not subclasses: a subclass may move pixels) that change pixel values only.
PHOTOMETRIC_TRANSFORMS = frozenset(
    {
        ColorJitter,
        GaussianBlur,
        Solarize,
        SolarizeAdd,
        Posterize,
        AutoContrast,
        Equalize,
        Invert,
        Contrast,
        Brightness,
        Sharpness,
        ColorTransform,
        Lighting,
        RandomGrayscale,
        Normalize,
        # These overwrite patches but move nothing, so coords stay true.
        RandomErasing,
        Cutout,
    }
)

# Wrappers whose inner transforms are checked in place of the wrapper itself.
WRAPPER_TRANSFORMS = frozenset({Compose, RandomApply, RandomChoice})

# Geometric transforms that have a coord-aware replacement.
_REPLACEMENTS = {
    RandomFlip: 'RandomFlipWithCoord',
    RandomResizedCrop: 'RandomResizedCropWithCoord',
}


def _name(transform: Callable) -> str:
    return type(transform).__name__


def _inner_transforms(wrapper: Callable) -> List[Callable]:
    """The transforms a wrapper may run: a Compose's steps, the steps of RandomApply's Compose,
    the steps of all RandomChoice's candidate Composes."""
    inner = wrapper.transforms
    items = list(inner) if isinstance(inner, (list, tuple)) else [inner]
    # Unwrap the Composes these wrappers build internally, so errors name the user's wrapper.
    return [
        step for item in items for step in (item.transforms if type(item) is Compose else [item])
    ]


def _rejection(transform: Callable, where: str, after_crop: bool) -> ValueError:
    """The error for a transform that may move pixels without updating ``coord``."""
    stage = 'after the crop that records coord' if after_crop else 'before the coord crop'
    replacement = _REPLACEMENTS.get(type(transform))
    if type(transform) is RandomResizedCrop and after_crop:
        fix = 'remove it: the view is already cropped by the coord-producing transform'
    elif replacement is not None:
        fix = f'use {replacement} instead of {_name(transform)}'
    else:
        fix = (
            'use a coord-aware version of it (class attribute `updates_coord = True`, '
            'updating results["coord"] and results["crop_box"]), or, if it only changes '
            'pixel values, declare `preserves_geometry = True` on its class'
        )
    return ValueError(
        f'{where}: {_name(transform)} may change the image geometry {stage} without updating '
        f'results["coord"]; {fix}.'
    )


def _check(transform: Callable, where: str, after_crop: bool) -> None:
    """Raise if ``transform`` (recursing into wrappers) is not allowed at this stage."""
    if getattr(transform, 'produces_coord', False):
        raise ValueError(
            f'{where}: {_name(transform)} produces coord, so it must be a top-level step of the '
            'view pipeline (not inside a wrapper) and appear exactly once.'
        )
    if type(transform) in WRAPPER_TRANSFORMS:
        for inner in _inner_transforms(transform):
            _check(inner, f'{where}, inside {_name(transform)}', after_crop)
        return
    if getattr(transform, 'updates_coord', False):
        if not after_crop:
            raise ValueError(
                f'{where}: {_name(transform)} updates coord, so it must come after the '
                'coord-producing crop (e.g. RandomResizedCropWithCoord).'
            )
        return
    declared = getattr(transform, 'preserves_geometry', None)
    if declared is True or (declared is None and type(transform) in PHOTOMETRIC_TRANSFORMS):
        return
    raise _rejection(transform, where, after_crop)


def check_view_pipeline(transforms: Sequence[Callable], where: str) -> None:
    """Raise ``ValueError`` unless ``transforms`` keeps ``coord`` true to the output image.

    Args:
        transforms: The built transforms of one view pipeline, in order.
        where: Names the pipeline in error messages, e.g.
            ``'MultiViewWithCoord transforms[1] (views [1])'``.
    """
    after_crop = False
    for transform in transforms:
        if getattr(transform, 'produces_coord', False) and not after_crop:
            after_crop = True
        else:
            _check(transform, where, after_crop)
    if not after_crop:
        raise ValueError(
            f'{where}: no transform produces coord; start the view with '
            'RandomResizedCropWithCoord (instead of RandomResizedCrop).'
        )


def check_shape_unchanged(
    transform: Callable, img_shape: Tuple[int, ...], crop_shape: Tuple[int, ...], where: str
) -> None:
    """Raise ``RuntimeError`` if a transform after the crop changed the image's (H, W).

    Args:
        transform: The transform that just ran.
        img_shape: Shape of the image it returned.
        crop_shape: (H, W) of the image right after the coord-producing crop.
        where: Names the pipeline in the error message.
    """
    if tuple(img_shape[:2]) != tuple(crop_shape):
        raise RuntimeError(
            f'{where}: {_name(transform)} changed the image size from {tuple(crop_shape)} to '
            f'{tuple(img_shape[:2])} after the coord-producing crop, so results["coord"] no '
            'longer describes the image; such transforms must update coord '
            '(`updates_coord = True`) or must not run after the crop.'
        )
