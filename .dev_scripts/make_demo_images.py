"""Build ``data/demo``: small crops of public-domain / CC0 photographs.

The sources are sample photographs shipped inside the ``scikit-image`` and
``matplotlib`` wheels. Each source yields one full view plus several square
crops at different positions and scales; every output is resized so its short
side is ``--short-side`` pixels and saved as an RGB JPEG. ``NOTICE.md`` is
written next to the images and lists the origin, credit and license of every
source and the crop box of every output file.

Usage (maintainer tool, not needed at test time)::

    python3 -m pip install --target /tmp/demo_src scikit-image matplotlib
    PYTHONPATH=/tmp/demo_src python3 .dev_scripts/make_demo_images.py
"""

import argparse
import importlib.util
from dataclasses import dataclass
from pathlib import Path

from PIL import Image


@dataclass(frozen=True)
class Source:
    """One redistributable photograph inside an installed package."""

    key: str  # output file prefix
    package: str  # importable package holding the file
    path: str  # file path relative to the package directory
    credit: str  # author / origin as stated by the package
    license: str  # license as stated by the package


SKIMAGE_NOTE = 'docstring of the matching `skimage.data` loader'
SOURCES = (
    Source(
        'astronaut',
        'skimage',
        'data/astronaut.png',
        'NASA (Eileen Collins portrait, NASA Great Images database)',
        'Public domain ("no known copyright restrictions, released into '
        f'the public domain", {SKIMAGE_NOTE})',
    ),
    Source(
        'chelsea',
        'skimage',
        'data/chelsea.png',
        'Stefan van der Walt (photographer)',
        f'CC0 ({SKIMAGE_NOTE})',
    ),
    Source(
        'coffee',
        'skimage',
        'data/coffee.png',
        'Rachel Michetti (photographer), courtesy of Pikolo Espresso Bar',
        f'CC0 ({SKIMAGE_NOTE})',
    ),
    Source(
        'rocket',
        'skimage',
        'data/rocket.jpg',
        'SpaceX (launch of DSCOVR on Falcon 9)',
        f'Public domain, released by SpaceX ({SKIMAGE_NOTE})',
    ),
    Source(
        'hubble',
        'skimage',
        'data/hubble_deep_field.jpg',
        'NASA (Hubble eXtreme Deep Field, HubbleSite)',
        f'Public domain, NASA media guidelines ({SKIMAGE_NOTE})',
    ),
    Source(
        'camera',
        'skimage',
        'data/camera.png',
        'Lav Varshney (photographer)',
        f'CC0 ({SKIMAGE_NOTE})',
    ),
    Source(
        'clock',
        'skimage',
        'data/clock_motion.png',
        'Stefan van der Walt (photographer)',
        f'Public domain, released by the photographer ({SKIMAGE_NOTE})',
    ),
    Source(
        'retina',
        'skimage',
        'data/retina.jpg',
        'Mikael Häggström (fundus photograph, Wikimedia Commons)',
        f'CC0 1.0 Universal ({SKIMAGE_NOTE})',
    ),
    Source(
        'brick',
        'skimage',
        'data/brick.png',
        'CC0Textures "Bricks25" (perspective-transformed, rotated and cropped by scikit-image)',
        f'CC0 ({SKIMAGE_NOTE})',
    ),
    Source(
        'grass',
        'skimage',
        'data/grass.png',
        'linolafett on DeviantArt ("Grass 01", made grey-scale by scikit-image)',
        f'CC0 ({SKIMAGE_NOTE})',
    ),
    Source(
        'gravel', 'skimage', 'data/gravel.png', 'CC0Textures "Gravel04"', f'CC0 ({SKIMAGE_NOTE})'
    ),
    Source(
        'hopper',
        'matplotlib',
        'mpl-data/sample_data/grace_hopper.jpg',
        'Official U.S. Navy photograph of Grace Hopper (the file\'s JPEG '
        'comment points to Wikimedia Commons "File:Grace_Hopper.jpg")',
        'Public domain (work of the U.S. federal government)',
    ),
)

# Square crops as (centre_y, centre_x, side): fractions of the image height,
# width and short side. Off-centre crops at two scales give views that differ
# in both content and object scale.
CROPS = (
    ('c0', 0.50, 0.50, 0.70),
    ('c1', 0.35, 0.35, 0.50),
    ('c2', 0.35, 0.65, 0.50),
    ('c3', 0.65, 0.35, 0.50),
    ('c4', 0.65, 0.65, 0.50),
)


def package_dir(package: str) -> Path:
    """Directory of an installed package, found without importing it."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(
            f'package {package!r} is not importable; see the usage line at the top of this script'
        )
    return Path(next(iter(spec.submodule_search_locations)))


def crop_box(width: int, height: int, cy: float, cx: float, side: float) -> tuple:
    """Pixel box (left, top, right, bottom) of a square crop, kept inside
    the image."""
    size = round(side * min(width, height))
    left = min(max(round(cx * width - size / 2), 0), width - size)
    top = min(max(round(cy * height - size / 2), 0), height - size)
    return left, top, left + size, top + size


def resize_short_side(img: Image.Image, short_side: int) -> Image.Image:
    """Resize keeping the aspect ratio so that min(w, h) == short_side."""
    scale = short_side / min(img.size)
    size = (round(img.width * scale), round(img.height * scale))
    return img.resize(size, Image.Resampling.LANCZOS)


def views(img: Image.Image) -> list:
    """All (suffix, box) views of one source: the full frame, then crops."""
    full = ('full', (0, 0, img.width, img.height))
    return [full] + [
        (name, crop_box(img.width, img.height, cy, cx, side)) for name, cy, cx, side in CROPS
    ]


def write_images(out_dir: Path, short_side: int, quality: int) -> list:
    """Write every view of every source; returns NOTICE rows
    (file name, source key, box, output size)."""
    img_dir = out_dir / 'images'
    img_dir.mkdir(parents=True, exist_ok=True)
    # Start clean so the folder mirrors SOURCES exactly after a re-run.
    for stale in img_dir.glob('*.jpg'):
        stale.unlink()
    rows = []
    for src in SOURCES:
        path = package_dir(src.package) / src.path
        # Grey-scale sources are stored as RGB so every demo image decodes
        # to the same 3-channel layout.
        img = Image.open(path).convert('RGB')
        for suffix, box in views(img):
            view = resize_short_side(img.crop(box), short_side)
            name = f'{src.key}_{suffix}.jpg'
            view.save(img_dir / name, quality=quality, optimize=True)
            rows.append((name, src.key, box, view.size))
    return rows


def notice_text(rows: list, short_side: int, quality: int) -> str:
    """Markdown NOTICE listing sources, licenses and per-file provenance."""
    lines = [
        '# Demo images: provenance and licenses',
        '',
        'Every image under `images/` is a crop of a public-domain or CC0 '
        'photograph shipped inside the `scikit-image` or `matplotlib` wheel, '
        'generated by `.dev_scripts/make_demo_images.py`. Each crop box is '
        f'resized (Lanczos) so its short side is {short_side} px and saved as '
        f'an RGB JPEG with quality {quality}; grey-scale sources are '
        'replicated to three channels. No other edits were made.',
        '',
        '## Sources',
        '',
        '| key | package | original path | credit | license |',
        '| --- | --- | --- | --- | --- |',
    ]
    lines += [
        f'| {s.key} | {s.package} | `{s.package}/{s.path}` | {s.credit} | {s.license} |'
        for s in SOURCES
    ]
    lines += [
        '',
        'The `skimage.data` notes are the docstrings of the loaders in '
        '`skimage/data/_fetchers.py` (scikit-image 0.26).',
        '',
        '## Files',
        '',
        '| file | source key | crop box in the original (left, top, right, '
        'bottom) | output size (w x h) |',
        '| --- | --- | --- | --- |',
    ]
    lines += [f'| {name} | {key} | {box} | {w} x {h} |' for name, key, box, (w, h) in rows]
    return '\n'.join(lines) + '\n'


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--out-dir', type=Path, default=Path('data/demo'))
    parser.add_argument('--short-side', type=int, default=144)
    parser.add_argument('--quality', type=int, default=85)
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    rows = write_images(args.out_dir, args.short_side, args.quality)
    notice = notice_text(rows, args.short_side, args.quality)
    (args.out_dir / 'NOTICE.md').write_text(notice, encoding='utf-8')
    total = sum(p.stat().st_size for p in args.out_dir.rglob('*'))
    print(f'wrote {len(rows)} images to {args.out_dir} ({total / 1e6:.2f} MB)')


if __name__ == '__main__':
    main()
