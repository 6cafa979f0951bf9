"""Procedural images with dense labels: textured shapes on textured ground.

Every sample is drawn from ``np.random.default_rng([seed, index])``, so it
depends only on ``(seed, index)`` and the generator arguments, never on which
other samples were generated.

Classes (``THING_CLASSES``, 0-based instance labels) each have their own
shape, texture family and hue range, so they are learnable from local
appearance as well as from shape:

========  ===========================  =================
class     texture                      hue (degrees)
========  ===========================  =================
circle    stripes, random orientation  red (345-15)
square    rotated checkerboard         green (95-145)
triangle  dot lattice                  blue (205-245)
ring      thin grid lines              yellow (40-65)
cross     fine-grained blotch noise    magenta (280-320)
========  ===========================  =================

The background is another texture family: coarse smooth noise in desaturated
colours. Later shapes occlude earlier ones; instance masks are the *visible*
parts, instances whose visible area falls below ``min_visible_frac`` of the
image are removed before rendering (so no pixel shows an unlabelled shape),
and boxes are the tight ``xyxy`` boxes of the visible masks in the pixel-edge
convention (``x2 = last column + 1``, as ``mmdet``'s ``BitmapMasks``).

Label conventions: ``gt_seg_map`` holds ``0`` for background and ``k + 1``
for instance label ``k``, so its values index ``SEG_CLASSES`` (background
first, what ``mmseg`` metrics expect), while instance labels index
``THING_CLASSES`` (foreground only, what ``mmdet`` expects).
"""

import colorsys
import copy
import json
import os.path as osp
from typing import Callable, Dict, List, Sequence, Tuple

import cv2
import numpy as np
from mmengine.dataset import BaseDataset
from mmengine.utils import mkdir_or_exist

from mmpcd.registry import DATASETS

THING_CLASSES = ('circle', 'square', 'triangle', 'ring', 'cross')
SEG_CLASSES = ('background',) + THING_CLASSES
# RGB, one per SEG_CLASSES entry (mmseg/mmdet visualisers expect RGB).
PALETTE = [(0, 0, 0), (220, 40, 40), (40, 180, 60), (50, 80, 220), (230, 200, 40), (200, 50, 200)]

# Per-class hue range in degrees (start may exceed end to wrap through 0).
_HUE_RANGES = ((345, 375), (95, 145), (205, 245), (40, 65), (280, 320))
# Object size: circumradius as a fraction of the short image side.
_RADIUS_RANGE = (0.12, 0.28)
# Object centres stay in this fraction of the image so that the top-most
# object (never occluded) keeps most of its area inside the frame.
_CENTRE_RANGE = (0.15, 0.85)
_PIXEL_NOISE_STD = 6.0

Grid = Tuple[np.ndarray, np.ndarray]


# ----------------------------------------------------------------- geometry
def _pixel_grid(img_shape: Tuple[int, int]) -> Grid:
    """Float row / column coordinates of pixel centres, each (H, W)."""
    h, w = img_shape
    yy, xx = np.meshgrid(
        np.arange(h, dtype=np.float64) + 0.5, np.arange(w, dtype=np.float64) + 0.5, indexing='ij'
    )
    return yy, xx


def _rotate(yy: np.ndarray, xx: np.ndarray, theta: float) -> Grid:
    """Coordinates (u, v) of the grid in a frame rotated by ``theta``."""
    cos, sin = np.cos(theta), np.sin(theta)
    return xx * cos + yy * sin, -xx * sin + yy * cos


def _circle_mask(u: np.ndarray, v: np.ndarray, r: float) -> np.ndarray:
    return u**2 + v**2 <= r**2


def _square_mask(u: np.ndarray, v: np.ndarray, r: float) -> np.ndarray:
    # Half side r / sqrt(2): the square is inscribed in the circumcircle.
    half = r / np.sqrt(2)
    return np.maximum(np.abs(u), np.abs(v)) <= half


def _triangle_mask(u: np.ndarray, v: np.ndarray, r: float) -> np.ndarray:
    # Equilateral triangle with circumradius r: inside all three half-planes
    # whose normals point at 90, 210 and 330 degrees, at distance r / 2.
    angles = np.deg2rad([90.0, 210.0, 330.0])
    inside = [u * np.cos(a) + v * np.sin(a) <= r / 2 for a in angles]
    return inside[0] & inside[1] & inside[2]


def _ring_mask(u: np.ndarray, v: np.ndarray, r: float) -> np.ndarray:
    d2 = u**2 + v**2
    return (d2 <= r**2) & (d2 >= (0.55 * r) ** 2)


def _cross_mask(u: np.ndarray, v: np.ndarray, r: float) -> np.ndarray:
    arm = 0.35 * r
    au, av = np.abs(u), np.abs(v)
    return ((au <= arm) & (av <= r)) | ((av <= arm) & (au <= r))


_SHAPES: Tuple[Callable, ...] = (
    _circle_mask,
    _square_mask,
    _triangle_mask,
    _ring_mask,
    _cross_mask,
)


# ----------------------------------------------------------------- textures
def _stripes(rng: np.random.Generator, yy: np.ndarray, xx: np.ndarray) -> np.ndarray:
    period = rng.uniform(3.5, 6.0)
    u, _ = _rotate(yy, xx, rng.uniform(0, np.pi))
    return (np.sin(2 * np.pi * u / period + rng.uniform(0, 2 * np.pi)) > 0).astype(np.float64)


def _checkerboard(rng: np.random.Generator, yy: np.ndarray, xx: np.ndarray) -> np.ndarray:
    period = rng.uniform(3.0, 5.0)
    u, v = _rotate(yy, xx, rng.uniform(0, np.pi / 2))
    return ((np.floor(u / period) + np.floor(v / period)) % 2).astype(np.float64)


def _lattice_offsets(
    rng: np.random.Generator, yy: np.ndarray, xx: np.ndarray, period: float
) -> Grid:
    """Offsets (du, dv) in pixels to the nearest point of a rotated square
    lattice with the given period, each (H, W)."""
    u, v = _rotate(yy, xx, rng.uniform(0, np.pi / 2))
    du = (u / period + rng.uniform()) % 1.0 - 0.5
    dv = (v / period + rng.uniform()) % 1.0 - 0.5
    return du * period, dv * period


def _dots(rng: np.random.Generator, yy: np.ndarray, xx: np.ndarray) -> np.ndarray:
    period = rng.uniform(4.0, 6.0)
    radius = period * rng.uniform(0.22, 0.32)
    du, dv = _lattice_offsets(rng, yy, xx, period)
    return (du**2 + dv**2 <= radius**2).astype(np.float64)


def _grid_lines(rng: np.random.Generator, yy: np.ndarray, xx: np.ndarray) -> np.ndarray:
    period = rng.uniform(4.0, 6.0)
    du, dv = _lattice_offsets(rng, yy, xx, period)
    # A pixel is on a line when it is near its lattice cell's border.
    to_border = period / 2 - np.maximum(np.abs(du), np.abs(dv))
    return (to_border <= 0.6).astype(np.float64)


def _value_noise(
    rng: np.random.Generator, yy: np.ndarray, xx: np.ndarray, cell: float
) -> np.ndarray:
    """Smooth noise in [0, 1]: random values on a ``cell``-pixel lattice,
    interpolated with a smoothstep; (H, W)."""
    gy, gx = yy / cell, xx / cell
    y0, x0 = np.floor(gy).astype(int), np.floor(gx).astype(int)
    lattice = rng.random((y0.max() + 2, x0.max() + 2))
    fy, fx = gy - y0, gx - x0
    fy, fx = fy * fy * (3 - 2 * fy), fx * fx * (3 - 2 * fx)
    top = lattice[y0, x0] * (1 - fx) + lattice[y0, x0 + 1] * fx
    bottom = lattice[y0 + 1, x0] * (1 - fx) + lattice[y0 + 1, x0 + 1] * fx
    return top * (1 - fy) + bottom * fy


def _blotches(rng: np.random.Generator, yy: np.ndarray, xx: np.ndarray) -> np.ndarray:
    # Fine noise stretched to full contrast: grainy, non-periodic.
    noise = _value_noise(rng, yy, xx, rng.uniform(1.5, 2.5))
    return np.clip((noise - 0.5) * 2.5 + 0.5, 0, 1)


_TEXTURES: Tuple[Callable, ...] = (_stripes, _checkerboard, _dots, _grid_lines, _blotches)


# ------------------------------------------------------------------ colours
def _hsv_to_rgb(hue_deg: float, sat: float, val: float) -> np.ndarray:
    """One RGB colour in [0, 255] as a float array of shape (3,)."""
    rgb = colorsys.hsv_to_rgb((hue_deg % 360) / 360, sat, val)
    return np.array(rgb) * 255


def _class_colours(rng: np.random.Generator, label: int) -> Tuple[np.ndarray, np.ndarray]:
    """Light and dark RGB colours of one object: same hue, the dark one
    40-60 % less bright."""
    hue = rng.uniform(*_HUE_RANGES[label])
    sat, val = rng.uniform(0.55, 0.9), rng.uniform(0.75, 1.0)
    light = _hsv_to_rgb(hue, sat, val)
    dark = _hsv_to_rgb(hue, sat, val * rng.uniform(0.4, 0.6))
    return light, dark


def _background_colours(rng: np.random.Generator) -> Tuple[np.ndarray, np.ndarray]:
    """Light and dark RGB colours of the background: desaturated, low
    contrast."""
    hue, sat = rng.uniform(0, 360), rng.uniform(0.0, 0.15)
    val = rng.uniform(0.45, 0.8)
    return (_hsv_to_rgb(hue, sat, val), _hsv_to_rgb(hue, sat, val * rng.uniform(0.5, 0.8)))


def _colourise(
    rng: np.random.Generator, pattern: np.ndarray, light: np.ndarray, dark: np.ndarray
) -> np.ndarray:
    """Blend two colours by a (H, W) pattern in [0, 1], add pixel noise and
    return an (H, W, 3) uint8 RGB layer."""
    layer = dark + pattern[..., None] * (light - dark)
    layer = layer + rng.normal(0, _PIXEL_NOISE_STD, layer.shape)
    return np.clip(np.rint(layer), 0, 255).astype(np.uint8)


def _background_layer(rng: np.random.Generator, yy: np.ndarray, xx: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8 RGB background: coarse smooth noise."""
    cell = rng.uniform(0.2, 0.35) * min(yy.shape)
    pattern = _value_noise(rng, yy, xx, cell)
    return _colourise(rng, pattern, *_background_colours(rng))


def _object_layer(
    rng: np.random.Generator, yy: np.ndarray, xx: np.ndarray, label: int
) -> np.ndarray:
    """(H, W, 3) uint8 RGB layer filled with the class texture everywhere;
    the object mask selects where it shows."""
    pattern = _TEXTURES[label](rng, yy, xx)
    return _colourise(rng, pattern, *_class_colours(rng, label))


# -------------------------------------------------------------------- scene
def _sample_object_masks(
    rng: np.random.Generator, yy: np.ndarray, xx: np.ndarray, labels: np.ndarray
) -> List[np.ndarray]:
    """Full (unoccluded) (H, W) bool mask of each object, in paint order."""
    h, w = yy.shape
    masks = []
    for label in labels:
        cy = rng.uniform(*_CENTRE_RANGE) * h
        cx = rng.uniform(*_CENTRE_RANGE) * w
        r = rng.uniform(*_RADIUS_RANGE) * min(h, w)
        u, v = _rotate(yy - cy, xx - cx, rng.uniform(0, 2 * np.pi))
        masks.append(_SHAPES[label](u, v, r))
    return masks


def _visible_masks(masks: List[np.ndarray]) -> np.ndarray:
    """(N, H, W) bool: each mask minus the masks painted after it."""
    visible = np.array(masks, dtype=bool)
    covered = np.zeros_like(visible[0])
    for i in range(len(masks) - 1, -1, -1):
        visible[i] &= ~covered
        covered |= masks[i]
    return visible


def _drop_small(
    masks: List[np.ndarray], labels: np.ndarray, min_area: float
) -> Tuple[List[np.ndarray], np.ndarray]:
    """Remove objects whose visible area is below ``min_area``.

    Removing an object only uncovers the objects below it, so the survivors'
    visible areas can only grow and one pass is enough.
    """
    if not masks:
        return masks, labels
    keep = _visible_masks(masks).sum(axis=(1, 2)) >= min_area
    return [m for m, k in zip(masks, keep) if k], labels[keep]


def _tight_boxes(masks: np.ndarray) -> np.ndarray:
    """(N, 4) float32 xyxy boxes of (N, H, W) non-empty bool masks, pixel-edge
    convention (x2, y2 exclusive)."""
    boxes = np.zeros((len(masks), 4), dtype=np.float32)
    for i, mask in enumerate(masks):
        rows = np.flatnonzero(mask.any(axis=1))
        cols = np.flatnonzero(mask.any(axis=0))
        boxes[i] = (cols[0], rows[0], cols[-1] + 1, rows[-1] + 1)
    return boxes


def _semantic_map(masks: np.ndarray, labels: np.ndarray, img_shape: Tuple[int, int]) -> np.ndarray:
    """(H, W) uint8 map: 0 background, label + 1 inside each disjoint mask."""
    seg = np.zeros(img_shape, dtype=np.uint8)
    for mask, label in zip(masks, labels):
        seg[mask] = label + 1
    return seg


def generate_dense_sample(
    index: int,
    seed: int = 0,
    img_shape: Tuple[int, int] = (64, 64),
    num_objects: Tuple[int, int] = (1, 4),
    min_visible_frac: float = 0.01,
    return_background: bool = False,
) -> dict:
    """Generate one image with semantic and instance labels.

    Args:
        index: Sample index; with ``seed`` it fully determines the sample.
        seed: Dataset seed.
        img_shape: ``(H, W)`` of the image.
        num_objects: Inclusive ``(min, max)`` number of objects drawn before
            occlusion filtering.
        min_visible_frac: Objects whose visible area is below this fraction
            of ``H * W`` are removed (and not painted).
        return_background: Also return the background layer, i.e. what the
            image shows wherever no object is.

    Returns:
        dict: ``img`` (H, W, 3) uint8 BGR; ``gt_seg_map`` (H, W) uint8 with
        values indexing ``SEG_CLASSES``; ``masks`` (N, H, W) bool visible,
        pairwise disjoint instance masks; ``labels`` (N,) int64 indexing
        ``THING_CLASSES``; ``bboxes`` (N, 4) float32 tight xyxy boxes of
        ``masks``; with ``return_background``, ``background`` (H, W, 3)
        uint8 BGR.
    """
    h, w = img_shape
    rng = np.random.default_rng([seed, index])
    yy, xx = _pixel_grid(img_shape)
    count = rng.integers(num_objects[0], num_objects[1] + 1)
    labels = rng.integers(len(THING_CLASSES), size=count)
    shapes = _sample_object_masks(rng, yy, xx, labels)
    shapes, labels = _drop_small(shapes, labels, min_visible_frac * h * w)
    masks = _visible_masks(shapes) if shapes else np.zeros((0, h, w), dtype=bool)

    background = _background_layer(rng, yy, xx)
    img = background.copy()
    for mask, label in zip(masks, labels):
        img[mask] = _object_layer(rng, yy, xx, label)[mask]

    sample = dict(
        img=img[..., ::-1].copy(),
        gt_seg_map=_semantic_map(masks, labels, img_shape),
        masks=masks,
        labels=labels.astype(np.int64),
        bboxes=_tight_boxes(masks),
    )
    if return_background:
        sample['background'] = background[..., ::-1].copy()
    return sample


# ------------------------------------------------------------- annotations
def mask_to_rle(mask: np.ndarray) -> dict:
    """Uncompressed COCO RLE of an (H, W) bool mask.

    Runs alternate 0s and 1s over the column-major pixel order, starting
    with a (possibly empty) run of 0s; ``pycocotools`` and ``mmdet`` decode
    this form directly.
    """
    flat = mask.ravel(order='F').astype(np.int8)
    starts = np.flatnonzero(np.diff(flat)) + 1
    runs = np.diff(np.concatenate(([0], starts, [flat.size])))
    counts = ([0] if flat.size and flat[0] else []) + runs.tolist()
    return dict(size=list(mask.shape), counts=counts)


def _instances(sample: dict) -> List[dict]:
    """mmdet-style instance annotations (before ``LoadAnnotations``)."""
    return [
        dict(bbox=box.tolist(), bbox_label=int(label), mask=mask_to_rle(mask), ignore_flag=0)
        for mask, label, box in zip(sample['masks'], sample['labels'], sample['bboxes'])
    ]


# (seed, img_shape, num_objects, min_visible_frac) -> per index: the generated part of a data
# info (image, semantic map, instances); filled only by `pregenerate`.
_PREGENERATED: Dict[tuple, Dict[int, dict]] = {}


def _generated_info(
    index: int,
    seed: int,
    img_shape: Tuple[int, int],
    num_objects: Tuple[int, int],
    min_visible_frac: float,
) -> dict:
    """``img``, ``gt_seg_map`` and ``instances`` of sample ``index``."""
    sample = generate_dense_sample(
        index,
        seed=seed,
        img_shape=img_shape,
        num_objects=num_objects,
        min_visible_frac=min_visible_frac,
    )
    return dict(img=sample['img'], gt_seg_map=sample['gt_seg_map'], instances=_instances(sample))


def pregenerate(
    num_images: int,
    seed: int = 0,
    img_shape: Sequence[int] = (64, 64),
    num_objects: Sequence[int] = (1, 4),
    min_visible_frac: float = 0.01,
) -> None:
    """Generate samples ``0 .. num_images - 1`` once, for every :class:`SyntheticDenseDataset`
    of these arguments in this process and in the processes it forks afterwards.

    For a driver that forks many trainings on the same images (the dense benchmark's train
    server, ``tools/benchmarks/train_server.py``): each would otherwise generate them again
    (about 3 ms per 64 px image). The datasets return copies, so a pipeline that changes its
    inputs in place cannot change the stored samples. Memory: about 20 KB per 64 px image.
    """
    key = (seed, tuple(img_shape), tuple(num_objects), min_visible_frac)
    store = _PREGENERATED.setdefault(key, {})
    for index in range(num_images):
        if index not in store:
            store[index] = _generated_info(index, *key)


@DATASETS.register_module()
class SyntheticDenseDataset(BaseDataset):
    """In-memory dataset of :func:`generate_dense_sample` images.

    Samples are generated lazily in :meth:`get_data_info`, so the stored
    ``data_list`` only holds indices and memory stays small for any
    ``num_images``. Each data info is the state a file-based pipeline has
    after loading, so the pipeline must start *after* image and annotation
    loading:

    - ``img``, ``img_shape``, ``ori_shape`` (no ``img_path``: there is no
      file): an unlabeled pre-training sample (mmpretrain transforms and
      packers);
    - ``gt_seg_map``, ``seg_fields=['gt_seg_map']``,
      ``reduce_zero_label=False``: what mmseg's ``LoadAnnotations`` leaves,
      so mmseg's geometric transforms and ``PackSegInputs`` work;
    - ``img_id`` and ``instances`` (``bbox``, ``bbox_label``, RLE ``mask``,
      ``ignore_flag``): the per-image dict of mmdet's ``CocoDataset``, so
      mmdet's ``LoadAnnotations(with_bbox=True, with_mask=True)`` applies.

    ``metainfo['classes']`` is ``SEG_CLASSES`` (background first: index ==
    ``gt_seg_map`` value, as mmseg metrics expect), ``thing_classes`` is
    ``THING_CLASSES`` (index == ``bbox_label``, as mmdet expects) and
    ``palette`` has one RGB colour per entry of ``classes``.

    Args:
        num_images: Number of samples.
        img_shape: ``(H, W)`` of every image.
        seed: Generator seed; sample ``i`` is
            ``generate_dense_sample(i, seed, img_shape, ...)``.
        num_objects: See :func:`generate_dense_sample`.
        min_visible_frac: See :func:`generate_dense_sample`.
        pipeline: Transforms applied to each data info.
        test_mode: Passed to ``BaseDataset``.
        **kwargs: Other ``BaseDataset`` arguments (``metainfo``,
            ``indices``, ``serialize_data``, ``lazy_init``, ...).
    """

    METAINFO = dict(classes=SEG_CLASSES, thing_classes=THING_CLASSES, palette=PALETTE)

    def __init__(
        self,
        num_images: int = 64,
        img_shape: Sequence[int] = (64, 64),
        seed: int = 0,
        num_objects: Sequence[int] = (1, 4),
        min_visible_frac: float = 0.01,
        pipeline: Sequence = (),
        test_mode: bool = False,
        **kwargs,
    ) -> None:
        # Set before super().__init__, which calls load_data_list().
        self.num_images = num_images
        self.img_shape = tuple(img_shape)
        self.seed = seed
        self.num_objects = tuple(num_objects)
        self.min_visible_frac = min_visible_frac
        super().__init__(pipeline=list(pipeline), test_mode=test_mode, **kwargs)

    def load_data_list(self) -> List[dict]:
        """One light entry per sample; the generator index is ``img_id``
        (``sample_idx`` is renumbered by ``BaseDataset`` under
        ``indices``)."""
        return [dict(img_id=i) for i in range(self.num_images)]

    def get_data_info(self, idx: int) -> dict:
        """Data info of sample ``idx`` with its generated image and
        labels."""
        info = super().get_data_info(idx)
        key = (self.seed, self.img_shape, self.num_objects, self.min_visible_frac)
        stored = _PREGENERATED.get(key, {}).get(info['img_id'])
        if stored is None:
            generated = _generated_info(info['img_id'], *key)
        else:
            generated = copy.deepcopy(stored)
        info.update(
            img=generated['img'],
            img_shape=self.img_shape,
            ori_shape=self.img_shape,
            gt_seg_map=generated['gt_seg_map'],
            seg_fields=['gt_seg_map'],
            reduce_zero_label=False,
            instances=generated['instances'],
        )
        return info


# ----------------------------------------------------------------- exports
def _write_png(path: str, array: np.ndarray) -> None:
    if not cv2.imwrite(path, array):
        raise OSError(f'could not write {path}')


def export_coco(
    out_dir: str,
    num_images: int = 64,
    img_shape: Tuple[int, int] = (64, 64),
    seed: int = 0,
    **sample_kwargs,
) -> Dict[str, object]:
    """Write samples as PNG images plus a COCO instance-segmentation json.

    Layout: ``out_dir/images/{index:06d}.png`` and
    ``out_dir/instances.json`` (image ``id`` == sample index, category ``id``
    == label + 1, uncompressed-RLE ``segmentation``, ``iscrowd=0``,
    ``area`` == visible pixel count, ``bbox`` == tight box in xywh).

    Args:
        out_dir: Output folder (created if missing).
        num_images: Number of samples ``0 .. num_images - 1``.
        img_shape: ``(H, W)`` of every image.
        seed: Generator seed.
        **sample_kwargs: Other :func:`generate_dense_sample` arguments.

    Returns:
        dict: ``ann_file`` and ``img_dir`` paths and ``classes``
        (``THING_CLASSES``), ready for ``mmdet``'s ``CocoDataset(ann_file=
        ..., data_prefix=dict(img=img_dir), metainfo=dict(classes=...))``.
    """
    img_dir = osp.join(out_dir, 'images')
    mkdir_or_exist(img_dir)
    images, annotations = [], []
    for index in range(num_images):
        sample = generate_dense_sample(index, seed, img_shape, **sample_kwargs)
        file_name = f'{index:06d}.png'
        _write_png(osp.join(img_dir, file_name), sample['img'])
        images.append(dict(id=index, file_name=file_name, height=img_shape[0], width=img_shape[1]))
        for mask, label, (x1, y1, x2, y2) in zip(
            sample['masks'], sample['labels'], sample['bboxes'].tolist()
        ):
            annotations.append(
                dict(
                    id=len(annotations) + 1,
                    image_id=index,
                    category_id=int(label) + 1,
                    segmentation=mask_to_rle(mask),
                    area=int(mask.sum()),
                    bbox=[x1, y1, x2 - x1, y2 - y1],
                    iscrowd=0,
                )
            )
    categories = [dict(id=i + 1, name=name) for i, name in enumerate(THING_CLASSES)]
    ann_file = osp.join(out_dir, 'instances.json')
    with open(ann_file, 'w') as f:
        json.dump(dict(images=images, annotations=annotations, categories=categories), f)
    return dict(ann_file=ann_file, img_dir=img_dir, classes=THING_CLASSES)


def export_semseg(
    out_dir: str,
    num_images: int = 64,
    img_shape: Tuple[int, int] = (64, 64),
    seed: int = 0,
    **sample_kwargs,
) -> Dict[str, object]:
    """Write samples as an mmseg-style semantic-segmentation folder.

    Layout: ``out_dir/img_dir/{index:06d}.png`` (BGR images) and
    ``out_dir/ann_dir/{index:06d}.png`` (single-channel uint8 maps whose
    values index ``SEG_CLASSES``).

    Args:
        out_dir: Output folder (created if missing).
        num_images: Number of samples ``0 .. num_images - 1``.
        img_shape: ``(H, W)`` of every image.
        seed: Generator seed.
        **sample_kwargs: Other :func:`generate_dense_sample` arguments.

    Returns:
        dict: ``img_dir`` and ``ann_dir`` paths and ``classes``
        (``SEG_CLASSES``), ready for ``mmseg``'s ``BaseSegDataset(
        data_prefix=dict(img_path=img_dir, seg_map_path=ann_dir),
        img_suffix='.png', seg_map_suffix='.png', reduce_zero_label=False,
        metainfo=dict(classes=...))``.
    """
    img_dir = osp.join(out_dir, 'img_dir')
    ann_dir = osp.join(out_dir, 'ann_dir')
    mkdir_or_exist(img_dir)
    mkdir_or_exist(ann_dir)
    for index in range(num_images):
        sample = generate_dense_sample(index, seed, img_shape, **sample_kwargs)
        _write_png(osp.join(img_dir, f'{index:06d}.png'), sample['img'])
        _write_png(osp.join(ann_dir, f'{index:06d}.png'), sample['gt_seg_map'])
    return dict(img_dir=img_dir, ann_dir=ann_dir, classes=SEG_CLASSES)
