"""Check an image folder before a pre-training run: what cannot be read or will not train well.

``python tools/misc/check_images.py DIR [--min-size 224] [--out report.json]`` decodes every
image under DIR (recursively, with a progress bar) and reports the files that are

- **unreadable**: empty, truncated or not an image (these stop a run, or are skipped with
  ``skip_bad_images=True`` on the pipeline's ``LoadImageFromFile``);
- **too small**: shorter side below ``--min-size`` (the crop size; they are upsampled);
- **grey**, **CMYK** or **16-bit**: decoded (and converted to 8-bit BGR) by the pipeline, but
  usually not what a colour pre-training set should hold.

Exit status: 1 if any file is unreadable, else 0.
"""

import argparse
import json
import os
import os.path as osp
import sys
from typing import Dict, List, Optional, Sequence

IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.ppm', '.bmp', '.pgm', '.tif', '.tiff', '.webp')
KINDS = ('unreadable', 'too_small', 'grey', 'cmyk', '16bit')


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('dir', help='image folder (searched recursively)')
    parser.add_argument(
        '--min-size',
        type=int,
        default=224,
        help='report images whose shorter side is below this (the crop size)',
    )
    parser.add_argument('--out', help='also write the report as json here')
    parser.add_argument('--quiet', action='store_true', help='no progress bar')
    return parser.parse_args(argv)


def find_images(root: str) -> List[str]:
    paths = []
    for folder, _, files in os.walk(root):
        paths += [
            osp.join(folder, name) for name in files if name.lower().endswith(IMAGE_EXTENSIONS)
        ]
    return sorted(paths)


def inspect(path: str, min_size: int) -> Dict[str, str]:
    """The problems of one file: kind -> what was found (empty if it is fine)."""
    from PIL import Image

    problems = {}
    try:
        with Image.open(path) as image:
            mode, (width, height) = image.mode, image.size
            image.load()  # decodes everything: a truncated file fails here
    except Exception as error:  # PIL raises many types for bad files
        return dict(unreadable=f'{type(error).__name__}: {error}')
    if min(width, height) < min_size:
        problems['too_small'] = f'{width}x{height} < {min_size}'
    if mode in ('1', 'L', 'LA', 'I', 'I;16', 'I;16B', 'I;16L', 'F'):
        problems['grey'] = f'mode {mode}'
    if mode == 'CMYK':
        problems['cmyk'] = 'mode CMYK'
    depth = _bit_depth(path)
    if depth > 8:
        problems['16bit'] = f'{depth} bits per channel'
    return problems


def _bit_depth(path: str) -> int:
    """Bits per channel as stored (PIL reads 16-bit colour PNGs as 8-bit RGB; OpenCV keeps
    them)."""
    import cv2
    import numpy as np

    array = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    return 8 if array is None else np.dtype(array.dtype).itemsize * 8


def check_folder(root: str, min_size: int, show_progress: bool = True) -> Dict[str, Dict]:
    """``{kind: {path: detail}}`` for every kind of :data:`KINDS`, plus ``'checked'``."""
    from rich.progress import track

    paths = find_images(root)
    report: Dict[str, Dict] = {kind: {} for kind in KINDS}
    iterator = track(paths, description='checking images') if show_progress else paths
    for path in iterator:
        for kind, detail in inspect(path, min_size).items():
            report[kind][osp.relpath(path, root)] = detail
    report['checked'] = {'images': len(paths)}
    return report


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    if not osp.isdir(args.dir):
        sys.exit(f'error: {args.dir} is not a directory.')
    report = check_folder(args.dir, args.min_size, not args.quiet)
    print(f'{report["checked"]["images"]} images under {args.dir}')
    for kind in KINDS:
        found = report[kind]
        print(f'{kind}: {len(found)}')
        for path, detail in sorted(found.items())[:20]:
            print(f'  {path}: {detail}')
        if len(found) > 20:
            print(f'  ... ({len(found) - 20} more{", see --out" if not args.out else ""})')
    if args.out:
        with open(args.out, 'w') as file:
            json.dump(report, file, indent=2)
    if report['unreadable']:
        sys.exit(1)


if __name__ == '__main__':
    main()
