"""Peak memory and time of the MasKD loss: the einsum form vs the official 5-D broadcast.

Faster R-CNN FPN levels P2-P6 of an 800x1333 batch (padded to 800x1344) of 2 images, 256
channels, 6 tokens per level, weighting branch and customised masks on. Each (form, pass)
is measured in a fresh child process so allocator caches of one do not hide the other's
peak (see ``tools/analysis_tools/benchmark_timing.py``); both forms run in the same
invocation::

    python projects/maskd/tools/benchmark_loss.py [--device cpu|cuda] [--repeat 3]
"""

import argparse
import json
import os.path as osp
import subprocess
import sys

import torch
import torch.nn.functional as F

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
sys.path.insert(0, REPO_ROOT)
sys.path.insert(0, osp.join(REPO_ROOT, 'tools', 'analysis_tools'))  # benchmark_timing.py
from benchmark_timing import median_time, peak_extra_memory  # noqa: E402

from projects.maskd.maskd import MaskModule, maskd_level_loss  # noqa: E402

# Strides 4..64 of an 800x1344 input (P6 by stride-2 max-pooling of P5).
LEVEL_SHAPES = [(200, 336), (100, 168), (50, 84), (25, 42), (13, 21)]


def naive_level_loss(module: MaskModule, feat_s, feat_t, custom: bool):
    """The official formulation: masked (N, T, C, H, W) copies of both features."""
    n, c, h, w = feat_t.shape
    tokens = module.mask_token.expand(n, -1, -1)
    with torch.no_grad():
        masks = torch.bmm(tokens, feat_t.reshape(n, c, h * w)).sigmoid().reshape(n, -1, h, w)
        if custom:
            masks = masks * torch.bmm(
                tokens, feat_s.detach().reshape(n, c, h * w)
            ).sigmoid().reshape(n, -1, h, w)
        weights = F.softmax(module.prob(feat_t).reshape(n, -1), dim=1)
    m5 = masks.unsqueeze(2)
    loss = (feat_s.unsqueeze(1) * m5 - feat_t.unsqueeze(1) * m5).pow(2).sum((3, 4))
    loss = loss / masks.sum((2, 3)).unsqueeze(2)
    return (loss.mean(2) * weights).sum(1).mean()


def make_inputs(device: str):
    torch.manual_seed(0)
    modules = [MaskModule(256, 6).to(device).requires_grad_(False) for _ in LEVEL_SHAPES]
    feats_t = [torch.randn(2, 256, h, w, device=device) for h, w in LEVEL_SHAPES]
    feats_s = [
        torch.randn(2, 256, h, w, device=device, requires_grad=True) for h, w in LEVEL_SHAPES
    ]
    return modules, feats_s, feats_t


def child(form: str, backward: bool, device: str, repeat: int) -> dict:
    torch.set_num_threads(1) if device == 'cpu' else None
    modules, feats_s, feats_t = make_inputs(device)

    def call():
        if form == 'einsum':
            loss = sum(
                maskd_level_loss(m, s, t, True, True) for m, s, t in zip(modules, feats_s, feats_t)
            )
        else:
            loss = sum(
                naive_level_loss(m, s, t, True) for m, s, t in zip(modules, feats_s, feats_t)
            )
        if backward:
            loss.backward()
        return loss

    value = call().item()
    peak = peak_extra_memory(call, device)
    seconds = median_time(call, repeat, device)
    return dict(loss=value, peak_bytes=peak, seconds=seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--device', default='cpu', choices=['cpu', 'cuda'])
    parser.add_argument('--repeat', type=int, default=3)
    parser.add_argument('--child', nargs=2, metavar=('FORM', 'PASS'), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        form, phase = args.child
        print(json.dumps(child(form, phase == 'fwd+bwd', args.device, args.repeat)))
        return
    rows = {}
    for phase in ('fwd', 'fwd+bwd'):
        for form in ('einsum', 'naive'):
            out = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    '--device',
                    args.device,
                    '--repeat',
                    str(args.repeat),
                    '--child',
                    form,
                    phase,
                ],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            rows[form, phase] = json.loads(out.strip().splitlines()[-1])
    print(f'MasKD loss, Faster R-CNN P2-P6 at 800x1344, N=2, C=256, T=6, device={args.device}')
    print(f'{"pass":8} {"form":7} {"peak MiB":>9} {"time s":>8} {"loss":>12}')
    for (form, phase), r in rows.items():
        print(
            f'{phase:8} {form:7} {r["peak_bytes"] / 2**20:9.1f} {r["seconds"]:8.3f} '
            f'{r["loss"]:12.6f}'
        )
    for phase in ('fwd', 'fwd+bwd'):
        e, n = rows['einsum', phase], rows['naive', phase]
        print(
            f'{phase}: einsum/naive peak memory {e["peak_bytes"] / n["peak_bytes"]:.3f}, '
            f'time {e["seconds"] / n["seconds"]:.3f}, |loss diff| '
            f'{abs(e["loss"] - n["loss"]):.2e}'
        )


if __name__ == '__main__':
    main()
