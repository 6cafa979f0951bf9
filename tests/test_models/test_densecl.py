import itertools
import math
import random
import socket
from typing import Dict, List, Optional

import numpy as np
import pytest
import torch
import torch.distributed as torch_dist
import torch.nn.functional as F
from mmengine.dataset import default_collate
from mmengine.optim import OptimWrapper
from mmengine.registry import DefaultScope
from mmpretrain.models import DenseCL as PeerDenseCL
from torch import nn
from torch.utils.data import DataLoader

import mmpcd.models.algorithms.densecl as densecl_module
from mmpcd.models import DenseCL
from mmpcd.registry import DATASETS, MODELS
from mmpcd.utils import register_all_modules

register_all_modules(init_default_scope=False)

FEAT_DIM = 16

HEAD = dict(type='ContrastiveHead', loss=dict(type='CrossEntropyLoss'), temperature=0.2)


pytestmark = pytest.mark.usefixtures('one_thread', 'mmpcd_scope')


def _backbone() -> dict:
    """A narrow ResNet-18: C5 has 128 channels, stride 32."""
    return dict(type='ResNet', depth=18, stem_channels=16, base_channels=16, out_indices=(3,))


def _build(num_grid: Optional[int] = None, queue_len: int = 32, **kwargs) -> DenseCL:
    neck = dict(
        type='DenseProjection',
        in_channels=128,
        hid_channels=32,
        out_channels=FEAT_DIM,
        num_grid=num_grid,
    )
    return MODELS.build(
        dict(
            type='DenseCL',
            backbone=_backbone(),
            neck=neck,
            head=HEAD,
            queue_len=queue_len,
            feat_dim=FEAT_DIM,
            **kwargs,
        )
    )


def _views(n: int, size: int, seed: int = 0) -> List[torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(n, 3, size, size, generator=g) for _ in range(2)]


# ------------------------------------------------------------------ parity
@pytest.mark.parametrize(
    'dtype, steps, atol',
    [(torch.float32, 1, 1e-5), (torch.float64, 3, 1e-10)],
    ids=['float32-1step', 'float64-3steps'],
)
def test_loss_equals_mmpretrain_densecl_with_the_same_weights_inputs_and_queues(dtype, steps, atol):
    """One step in float32 to 1e-5; over several SGD steps float32 rounding gets amplified
    (a matching argmax may flip), so the evolution of the EMA and queues is compared in
    float64, where any algorithmic difference would still show."""
    torch.manual_seed(0)
    neck = dict(in_channels=128, hid_channels=64, out_channels=FEAT_DIM)
    common = dict(
        backbone=_backbone(),
        head=HEAD,
        queue_len=32,
        feat_dim=FEAT_DIM,
        momentum=0.01,
        loss_lambda=0.3,
    )
    peer = PeerDenseCL(neck=dict(type='DenseCLNeck', **neck), **common).to(dtype)
    ours = DenseCL(neck=dict(type='DenseProjection', **neck), **common).to(dtype)
    assert list(ours.state_dict()) == list(peer.state_dict())
    ours.load_state_dict(peer.state_dict(), strict=True)
    opt_peer = torch.optim.SGD(peer.parameters(), lr=0.1)
    opt_ours = torch.optim.SGD(ours.parameters(), lr=0.1)

    for step in range(steps):
        views = [v.to(dtype) for v in _views(4, 64, seed=step)]
        torch.manual_seed(step)
        loss_peer = peer.loss(views, None)
        torch.manual_seed(step)
        loss_ours = ours.loss(views, None)
        for key in ('loss_single', 'loss_dense'):
            torch.testing.assert_close(loss_ours[key], loss_peer[key], rtol=0, atol=atol)
        for opt, losses in ((opt_peer, loss_peer), (opt_ours, loss_ours)):
            opt.zero_grad()
            sum(losses.values()).backward()
            opt.step()
    # Parameters, EMA, BN statistics, queues and pointers.
    for key, value in peer.state_dict().items():
        torch.testing.assert_close(ours.state_dict()[key], value, rtol=0, atol=atol)
    assert int(ours.queue_ptr) == int(ours.queue2_ptr) == 4 * steps % 32


# ------------------------------------------------------------ correspondence
def _adaptive_pool_reference(x: torch.Tensor, size: int) -> torch.Tensor:
    """Adaptive average pooling written out: bin i spans [floor(i*H/S), ceil((i+1)*H/S))."""
    h, w = x.shape[2:]
    out = x.new_empty(*x.shape[:2], size, size)
    for i in range(size):
        for j in range(size):
            rows = slice(i * h // size, math.ceil((i + 1) * h / size))
            cols = slice(j * w // size, math.ceil((j + 1) * w / size))
            out[:, :, i, j] = x[:, :, rows, cols].mean(dim=(2, 3))
    return out


def _argmax_reference(feat_q: torch.Tensor, feat_k: torch.Tensor) -> torch.Tensor:
    """Brute force: per image and query cell, the key cell of maximal cosine similarity."""
    q, k = feat_q.flatten(2), feat_k.flatten(2)
    idx = torch.empty(q.size(0), q.size(2), dtype=torch.long)
    for n in range(q.size(0)):
        for i in range(q.size(2)):
            sims = F.cosine_similarity(q[n, :, i : i + 1], k[n], dim=0)
            idx[n, i] = int(sims.argmax())
    return idx


class _Recorder:
    """Outputs of the query/key backbones and necks and of the matching during a step."""

    def __init__(self, model: DenseCL, monkeypatch: pytest.MonkeyPatch) -> None:
        self.out: Dict[str, object] = {}
        for name, module in (
            ('q_b', model.backbone),
            ('k_b', model.encoder_k.module[0]),
            ('q_neck', model.neck),
            ('k_neck', model.encoder_k.module[1]),
        ):
            module.register_forward_hook(self._hook(name))
        match = densecl_module.dense_argmax_match

        def spy(*args, **kwargs):
            self.out['idx'] = match(*args, **kwargs)
            return self.out['idx']

        monkeypatch.setattr(densecl_module, 'dense_argmax_match', spy)

    def _hook(self, name: str):
        def hook(module: nn.Module, args, output) -> None:
            self.out[name] = output[0] if name.endswith('_b') else output

        return hook


@pytest.mark.parametrize(
    'num_grid, size, native',
    [(7, 224, 7), (4, 128, 4), (4, 224, 7), (7, 128, 4)],
    ids=['grid7-native7', 'grid4-native4', 'grid4-native7', 'grid7-native4'],
)
def test_num_grid_loss_step_matches_pooled_backbone_features(num_grid, size, native, monkeypatch):
    torch.manual_seed(0)
    model = _build(num_grid=num_grid, queue_len=16)
    rec = _Recorder(model, monkeypatch)
    queue2 = model.queue2.clone()
    losses = model.loss(_views(2, size), None)

    q_b, k_b = rec.out['q_b'].detach(), rec.out['k_b']
    assert q_b.shape[2:] == (native, native)
    expected_idx = _argmax_reference(
        _adaptive_pool_reference(q_b, num_grid), _adaptive_pool_reference(k_b, num_grid)
    )
    assert rec.out['idx'].shape == (2, num_grid**2)
    assert torch.equal(rec.out['idx'], expected_idx)

    # The dense loss contrasts each query cell with its matched key cell against queue2.
    q_grid = F.normalize(rec.out['q_neck'][1][0].flatten(2), dim=1)
    k_grid = F.normalize(rec.out['k_neck'][1][0].flatten(2), dim=1)
    pos = torch.stack([(q_grid[n] * k_grid[n][:, expected_idx[n]]).sum(0) for n in range(2)])
    neg = torch.einsum('ncs,ck->nsk', q_grid, queue2)
    logits = torch.cat([pos.unsqueeze(-1), neg], dim=-1).flatten(0, 1) / 0.2
    expected = 0.5 * F.cross_entropy(logits, torch.zeros(len(logits), dtype=torch.long))
    torch.testing.assert_close(losses['loss_dense'], expected, rtol=0, atol=1e-5)

    sum(losses.values()).backward()
    assert model.neck.mlp2[0].weight.grad.abs().sum() > 0
    assert model.backbone.conv1.weight.grad.abs().sum() > 0


def test_projection_matching_uses_the_dense_projections(monkeypatch):
    torch.manual_seed(0)
    model = _build(num_grid=4, matching='projection', queue_len=16)
    rec = _Recorder(model, monkeypatch)
    model.loss(_views(2, 128), None)
    expected = _argmax_reference(rec.out['q_neck'][1][0].detach(), rec.out['k_neck'][1][0])
    assert torch.equal(rec.out['idx'], expected)
    # ... which here differs from what the backbone features would have matched.
    assert not torch.equal(expected, _argmax_reference(rec.out['q_b'].detach(), rec.out['k_b']))


def test_random_matching_is_a_permutation_per_image():
    torch.manual_seed(0)
    model = _build(num_grid=4, matching='random', queue_len=16)
    q_grid = torch.randn(3, FEAT_DIM, 16)
    idx = model._correspondence(
        torch.randn(3, 128, 7, 7), torch.randn(3, 128, 7, 7), q_grid, q_grid
    )
    assert idx.shape == (3, 16) and idx.dtype == torch.long
    for row in idx:
        assert torch.equal(row.sort().values, torch.arange(16))
    assert not torch.equal(idx[0], idx[1])
    # Matching the grid with itself by similarity would give the identity.
    assert not torch.equal(idx[0], torch.arange(16))
    assert torch.isfinite(model.loss(_views(2, 128), None)['loss_dense'])


# ---------------------------------------------------------------- queues
def test_queues_wrap_around_and_hold_the_normalised_keys():
    torch.manual_seed(0)
    model = _build(queue_len=8)
    ptrs = []
    for step in range(3):
        views = _views(4, 64, seed=step)
        old, old2, ptr = model.queue.clone(), model.queue2.clone(), int(model.queue_ptr)
        model.loss(views, None)
        ptrs.append((int(model.queue_ptr), int(model.queue2_ptr)))
        with torch.no_grad():  # same batch, train-mode BN: the keys the step computed
            (k,), _, (k2,) = model.encoder_k.module(views[1])
        written = slice(ptr, ptr + 4)
        torch.testing.assert_close(model.queue[:, written], F.normalize(k, dim=1).t())
        torch.testing.assert_close(model.queue2[:, written], F.normalize(k2, dim=1).t())
        kept = [i for i in range(8) if not written.start <= i < written.stop]
        assert torch.equal(model.queue[:, kept], old[:, kept])
        assert torch.equal(model.queue2[:, kept], old2[:, kept])
    assert ptrs == [(4, 4), (0, 0), (4, 4)]
    torch.testing.assert_close(model.queue.norm(dim=0), torch.ones(8))


def test_a_batch_larger_than_the_queue_is_refused_before_anything_changes():
    model = _build(queue_len=3)
    with pytest.raises(ValueError, match=r'queue_len \(3\) is smaller than the global batch'):
        model.loss(_views(4, 64), None)
    assert int(model.queue_ptr) == 0 and int(model.encoder_k.steps) == 0


def test_batches_that_do_not_tile_the_queue_wrap_around():
    """queue_len=10, batches of 4, 4, 2 (a drop_last=False epoch) then 4: every write lands
    at the pointer modulo 10 (the slice write of mmpretrain crashes at the fourth)."""
    torch.manual_seed(0)
    model = _build(queue_len=10)
    for step, n in enumerate((4, 4, 2, 4)):
        ptr = int(model.queue_ptr)
        views = _views(n, 64, seed=step)
        model.loss(views, None)
        with torch.no_grad():
            (k,), _, _ = model.encoder_k.module(views[1])
        columns = [(ptr + i) % 10 for i in range(n)]
        torch.testing.assert_close(model.queue[:, columns], F.normalize(k, dim=1).t())
    assert int(model.queue_ptr) == 4  # 14 keys written


def _ddp_worker(rank: int, world_size: int, port: int) -> None:
    """One of two gloo processes; each holds half of an 8-image batch."""
    torch.set_num_threads(1)
    torch_dist.init_process_group(
        'gloo', init_method=f'tcp://127.0.0.1:{port}', rank=rank, world_size=world_size
    )
    try:
        register_all_modules()  # a fresh process: the mmpcd default scope, as a run has
        torch.manual_seed(0)  # identical weights and queues on both ranks
        model = _build(queue_len=16)
        # Eval-mode BN makes every key independent of the batch it is computed in, so after
        # shuffle -> key encoder -> unshuffle each rank must get back its own images' keys.
        model.eval()
        views = _views(8, 64)
        model.loss([v[4 * rank : 4 * rank + 4] for v in views], None)
        with torch.no_grad():
            (k,), _, (k2,) = model.encoder_k.module(views[1])
        # Both ranks enqueue the keys of the whole (global) batch, rank 0's first.
        torch.testing.assert_close(model.queue[:, :8], F.normalize(k, dim=1).t())
        torch.testing.assert_close(model.queue2[:, :8], F.normalize(k2, dim=1).t())
        assert int(model.queue_ptr) == int(model.queue2_ptr) == 8
        # 6 holds the local batch (4), not the global one (8).
        with pytest.raises(ValueError, match=r'4 per process x 2 processes = 8'):
            _build(queue_len=6).loss([v[:4] for v in views], None)
    finally:
        torch_dist.destroy_process_group()


def test_two_process_shuffle_bn_and_all_gather_enqueue():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        port = sock.getsockname()[1]
    torch.multiprocessing.spawn(_ddp_worker, args=(2, port), nprocs=2)


# -------------------------------------------------------------- arguments
def test_momentum_in_the_official_convention_is_rejected_with_the_fix():
    with pytest.raises(ValueError, match=r'official/MoCo convention.*pass 0\.001 \(= 1 - 0\.999\)'):
        _build(momentum=0.999)
    for bad in (0.0, -0.1, 1.0):
        with pytest.raises(ValueError, match=r'\(0, 0\.5\]'):
            _build(momentum=bad)
    assert _build(momentum=0.5).encoder_k.momentum == 0.5


def test_momentum_follows_mmengines_ema_convention():
    torch.manual_seed(0)
    model = _build(momentum=0.01)
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    sum(model.loss(_views(4, 64), None).values()).backward()
    opt.step()
    key_before = model.encoder_k.module[1].mlp[0].weight.clone()
    query_now = model.neck.mlp[0].weight.clone()
    assert not torch.allclose(key_before, query_now)
    model.loss(_views(4, 64, seed=1), None)
    torch.testing.assert_close(
        model.encoder_k.module[1].mlp[0].weight, 0.99 * key_before + 0.01 * query_now
    )


def test_unknown_matching_is_rejected():
    with pytest.raises(ValueError, match="Unknown DenseCL matching 'bilinear'"):
        _build(matching='bilinear')


def test_multi_level_backbone_is_rejected():
    model = MODELS.build(
        dict(
            type='DenseCL',
            backbone=dict(_backbone(), out_indices=(2, 3)),
            neck=dict(
                type='DenseProjection', in_channels=128, hid_channels=32, out_channels=FEAT_DIM
            ),
            head=HEAD,
            queue_len=32,
            feat_dim=FEAT_DIM,
        )
    )
    with pytest.raises(ValueError, match='single backbone output level'):
        model.loss(_views(4, 64), None)


# ---------------------------------------------------------------- training
@pytest.mark.filterwarnings("ignore:Only use 'alpha' for pillow backend")
def test_short_training_run_lowers_the_dense_loss_after_queue_warmup():
    """30 SGD steps of a narrow ResNet-18 on synthetic images through the MoCo-v2 two-view
    pipeline (dataset -> default_collate -> SelfSupDataPreprocessor -> train_step). The
    queues (32 = 4 batches) hold only random vectors before step 4, so the reference is the
    mean dense loss of steps 4-9, right after they filled; seeds 0-4 gave late/early ratios
    of 0.10-0.17."""
    random.seed(0)
    np.random.seed(0)
    torch.manual_seed(0)
    view = [
        dict(type='RandomResizedCrop', scale=64, crop_ratio_range=(0.2, 1.0)),
        dict(
            type='RandomApply',
            prob=0.8,
            transforms=[
                dict(type='ColorJitter', brightness=0.4, contrast=0.4, saturation=0.4, hue=0.1)
            ],
        ),
        dict(
            type='RandomGrayscale',
            prob=0.2,
            keep_channels=True,
            channel_weights=(0.114, 0.587, 0.2989),
        ),
        dict(type='GaussianBlur', magnitude_range=(0.1, 2.0), magnitude_std='inf', prob=0.5),
        dict(type='RandomFlip', prob=0.5),
    ]
    with DefaultScope.overwrite_default_scope('mmpcd'):  # the pipeline's transforms
        dataset = DATASETS.build(
            dict(
                type='SyntheticDenseDataset',
                num_images=32,
                img_shape=(64, 64),
                seed=0,
                pipeline=[
                    dict(type='MultiView', num_views=2, transforms=[view]),
                    dict(type='PackInputs'),
                ],
            )
        )
    loader = DataLoader(
        dataset,
        batch_size=8,
        shuffle=True,
        drop_last=True,
        collate_fn=default_collate,
        generator=torch.Generator().manual_seed(0),
    )
    model = _build(
        queue_len=32,
        momentum=0.01,
        data_preprocessor=dict(
            mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375], to_rgb=True
        ),
    )
    optim = OptimWrapper(
        torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-4)
    )
    model.train()
    dense = []
    while len(dense) < 30:
        for data in itertools.islice(loader, 30 - len(dense)):
            dense.append(model.train_step(data, optim)['loss_dense'].item())
    early, late = np.mean(dense[4:10]), np.mean(dense[-10:])
    assert np.isfinite(dense).all()
    assert late < 0.5 * early, f'dense loss {early:.3f} -> {late:.3f}: {np.round(dense, 2)}'
