"""Throughput of the two-view training pipelines per CPU worker, and workers per GPU.

A dataloader worker runs one pipeline on one core, so the rate that matters is images per
CPU-second: this script runs each config's ``train_pipeline`` (decode, two augmented views,
packing) over ImageNet-sized JPEGs in one process with one thread, as a worker does, and divides
by the process's CPU time (not wall time: other jobs on the machine then do not distort it).
With ``--gpu-img-s`` (a training step's img/s on one GPU, e.g. from ``gpu_check.py``) it prints
the workers one GPU needs: ``ceil(gpu_img_s / per_worker_img_s)``.

The images are the embedded photographs of ``data/demo`` resized to ImageNet's typical
500 x 375 and saved as JPEG (quality 90), in a temporary folder.

Example::

    python tools/analysis_tools/benchmark_data.py --images 48 --gpu-img-s 1000
"""

import argparse
import glob
import json
import math
import os
import os.path as osp
import tempfile
import time
from typing import Dict, List, Optional

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
PIPELINES = {
    'pixpro': 'configs/_base_/datasets/imagenet_bs64_pixpro.py',  # PixPro, PixContrast, PCD
    'mocov2': 'configs/_base_/datasets/imagenet_bs32_mocov2.py',  # DenseCL
    'byol (mmpretrain)': 'mmpretrain::_base_/datasets/imagenet_bs32_byol.py',
}


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--pipelines', nargs='+', default=list(PIPELINES), choices=PIPELINES)
    parser.add_argument('--images', type=int, default=48, help='images per pipeline')
    parser.add_argument('--size', type=int, nargs=2, default=[500, 375], metavar=('W', 'H'))
    parser.add_argument(
        '--gpu-img-s', type=float, help='img/s one GPU trains at, to print the workers it needs'
    )
    parser.add_argument('--json', help='also write the results to this file')
    return parser.parse_args(argv)


def write_images(folder: str, count: int, size) -> List[str]:
    from PIL import Image

    sources = sorted(glob.glob(osp.join(REPO_ROOT, 'data', 'demo', 'images', '*_full.jpg')))
    paths = []
    for i in range(count):
        path = osp.join(folder, f'{i:04d}.jpg')
        with Image.open(sources[i % len(sources)]) as image:
            image.convert('RGB').resize(tuple(size), Image.BICUBIC).save(path, quality=90)
        paths.append(path)
    return paths


def config_path(config: str) -> str:
    """A repository config (relative path) or ``package::path`` of an installed OpenMMLab
    package's configs (its ``.mim/configs``)."""
    if '::' not in config:
        return osp.join(REPO_ROOT, config)
    import importlib

    package, relative = config.split('::')
    root = osp.dirname(importlib.import_module(package).__file__)
    return osp.join(root, '.mim', 'configs', relative)


def build_pipeline(config: str):
    from mmengine.config import Config
    from mmengine.dataset import Compose
    from mmengine.registry import DefaultScope

    from mmpcd.utils import register_all_modules

    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(config_path(config))
    scope = 'mmpretrain' if '::' in config else 'mmpcd'
    with DefaultScope.overwrite_default_scope(scope):
        return Compose(cfg.train_pipeline)


def per_worker_rate(config: str, paths: List[str]) -> Dict:
    """Images per CPU-second of one pipeline (one thread), after one warm-up image."""
    pipeline = build_pipeline(config)
    pipeline(dict(img_path=paths[0]))
    cpu, wall = time.process_time(), time.perf_counter()
    for path in paths:
        pipeline(dict(img_path=path))
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return dict(
        config=config,
        images=len(paths),
        cpu_seconds=cpu,
        wall_seconds=wall,
        img_per_cpu_second=len(paths) / cpu,
    )


def main(argv: Optional[List[str]] = None) -> List[Dict]:
    args = parse_args(argv)
    import cv2
    import torch

    torch.set_num_threads(1)  # as in a dataloader worker
    cv2.setNumThreads(1)
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        paths = write_images(folder, args.images, args.size)
        for name in args.pipelines:
            row = dict(pipeline=name, **per_worker_rate(PIPELINES[name], paths))
            if args.gpu_img_s:
                row['workers_per_gpu'] = math.ceil(args.gpu_img_s / row['img_per_cpu_second'])
            rows.append(row)
            extra = (
                f"   {row['workers_per_gpu']} workers per GPU at {args.gpu_img_s:g} img/s"
                if args.gpu_img_s
                else ''
            )
            print(
                f"{name:<20}{row['img_per_cpu_second']:>8.1f} img/s per worker "
                f"({row['images']} images of {args.size[0]}x{args.size[1]}, "
                f"{row['wall_seconds']:.1f} s wall){extra}",
                flush=True,
            )
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(dict(size=args.size, cpu=os.cpu_count(), rows=rows), f, indent=1)
    return rows


if __name__ == '__main__':
    main()
