"""Every algorithm trains under ``torch.autocast('cpu', dtype=torch.bfloat16)``.

For each pre-training algorithm (DenseCL, PixPro plain / -ins / FPN, PixContrast, PCD in its
three pairings, built from their demo configs with ResNet-18s narrowed to 16 base channels so
that bfloat16 runs fast on a CPU without bfloat16 units) and MasKD's two stages (tiny detection
and segmentation configs), one training step from the same weights and inputs runs in float32
and under bfloat16 autocast. It checks that

- every loss and gradient is finite under autocast;
- every loss term is within ``2% + 0.02`` (relative + absolute) of its float32 value (30% for
  mmdet's RoI-head losses, which depend on the proposals NMS keeps from bf16 boxes); the
  float32 places (ops, PPM, heads) keep the error at the level of the bfloat16 convolutions;
- gradients reach exactly the parameters they reach in float32, which are all trainable
  parameters except the ones a config leaves unused on purpose; and the whole gradient points
  the same way (cosine to the float32 gradient >= 0.8, see GRAD_COSINE).
"""

import copy
import os.path as osp
from typing import Dict, Tuple

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.logging import MessageHub
from mmpretrain.structures import DataSample

from mmpcd.registry import MODELS
from mmpcd.utils import register_all_modules
from tests.conftest import REPO_ROOT, load_script

register_all_modules(init_default_scope=False)
# ResNets 1/4 as wide, with the channels that follow (the GPU check's quick mode uses it too).
narrow_resnets = load_script('tools/analysis_tools/gpu_check.py').narrow_resnets
pytestmark = pytest.mark.usefixtures('one_thread', 'mmpcd_scope')

# Measured (2026-12-01): losses within 0.3% + 0.007; gradient cosines 0.92 (DenseCL), >= 0.99
# (PixPro, PixContrast, MasKD), 0.86-0.88 (PCD: 4 images of 2x2 cells through the bf16 BNs of
# the student's projector; its loss is fp32 and the predictor's last layer agrees to 1.000).
LOSS_RTOL, LOSS_ATOL, GRAD_COSINE = 0.02, 0.02, 0.8
# mmdet's RoI-head losses are computed on the proposals that survive NMS; bf16 boxes (about
# 0.25 px apart at 64 px) change which ones do, so these get a looser bound (measured: 14%).
SAMPLED_RTOL = 0.3
DETECTOR_ROI_LOSSES = ('loss_cls', 'loss_bbox', 'loss_roi_reg_kd')

PRETRAIN = {
    'densecl': ('configs/densecl/densecl_resnet18_1xb16-coslr-2e_demo.py', {}),
    'pixpro': ('configs/pixpro/pixpro_resnet18_1xb16-lars-coslr-2e_demo.py', {}),
    'pixpro-ins': ('tests/data/configs/pixpro-ins_r18_demo.py', {}),
    'pixpro-fpn': ('tests/data/configs/pixpro_r18-fpn_demo.py', {}),
    'pixcontrast': ('tests/data/configs/pixcontrast_r18_demo.py', {}),
    'pcd-same_view': (
        'configs/pcd/pcd_resnet18_mocov3-resnet18_1xb8-lars-coslr-2e_demo.py',
        dict(pairing='same_view'),
    ),
    'pcd-cross_view_aligned': (
        'configs/pcd/pcd_resnet18_mocov3-resnet18_1xb8-lars-coslr-2e_demo.py',
        dict(pairing='cross_view_aligned'),
    ),
    'pcd-cross_view_grid': (
        'configs/pcd/pcd_resnet18_mocov3-resnet18_1xb8-lars-coslr-2e_demo.py',
        dict(pairing='cross_view_grid'),
    ),
}
# The FPN config computes the loss on P3-P6 only, so P2's convs get no gradient.
UNUSED = {'pixpro-fpn': ('neck.lateral_convs.0.', 'neck.fpn_convs.0.')}


@pytest.fixture(autouse=True)
def max_iters():
    """CosineEMA reads the run's length from the message hub (the runner sets it)."""
    MessageHub.get_current_instance().update_info('max_iters', 10)


def build_pretrain(name: str) -> torch.nn.Module:
    path, overrides = PRETRAIN[name]
    cfg = Config.fromfile(osp.join(REPO_ROOT, path))
    cfg.model.update(overrides)
    if 'teacher' in cfg.model and cfg.model.teacher.get('checkpoint') is None:
        cfg.model.teacher.checkpoint = 'random'  # the step's dtypes are checked, not its values
    if 'data_preprocessor' not in cfg.model:
        cfg.model.data_preprocessor = cfg.data_preprocessor
    narrow_resnets(cfg.model)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    return model


def two_view_batch(num: int = 4, size: int = 64) -> dict:
    """Two random 8-bit views per image with overlapping crop boxes, every other one flipped."""
    generator = torch.Generator().manual_seed(0)
    views = [
        torch.randint(0, 256, (num, 3, size, size), generator=generator).float() for _ in range(2)
    ]
    samples = []
    for i in range(num):
        low = torch.rand(2, 2, generator=generator) * 0.3
        coord = torch.cat([low, low + 0.6], 1)
        if i % 2:
            coord[1] = coord[1, [2, 1, 0, 3]]
        sample = DataSample()
        sample.set_field(coord.numpy().astype(np.float32), 'coord')
        samples.append(sample)
    return dict(inputs=views, data_samples=samples)


# (device, autocast dtype): bf16 on the CPU everywhere; fp16 and bf16 on a GPU
# (tools/analysis_tools/gpu_check.py runs those).
CUDA = pytest.mark.skipif(not torch.cuda.is_available(), reason='needs a GPU')
AUTOCASTS = [
    pytest.param('cpu', torch.bfloat16, id='cpu-bf16'),
    pytest.param('cuda', torch.float16, id='cuda-fp16', marks=CUDA),
    pytest.param('cuda', torch.bfloat16, id='cuda-bf16', marks=CUDA),
]


def train_step(
    model: torch.nn.Module,
    data: dict,
    autocast: bool,
    device: str = 'cpu',
    dtype: torch.dtype = torch.bfloat16,
) -> Tuple[Dict[str, float], Dict[str, torch.Tensor]]:
    """Losses and gradients of one step on a copy of ``model`` on ``device`` (momentum targets
    and queues change in a step, so each run starts from the same state; the data
    preprocessor moves the batch)."""
    model = copy.deepcopy(model).to(device).train()
    torch.manual_seed(1)
    with torch.autocast(device, dtype=dtype, enabled=autocast):
        processed = model.data_preprocessor(copy.deepcopy(data), True)
        loss, log = model.parse_losses(model(**processed, mode='loss'))
    loss.backward()
    grads = {name: param.grad for name, param in model.named_parameters() if param.requires_grad}
    return {key: float(value) for key, value in log.items()}, grads


def check_autocast_step(
    model: torch.nn.Module,
    data: dict,
    device: str,
    dtype: torch.dtype,
    unused: Tuple[str, ...] = (),
    sampled: Tuple[str, ...] = (),
):
    """``sampled``: loss keys that depend on a discrete selection the bf16 values can change
    (RoIs after NMS); they get :data:`SAMPLED_RTOL`."""
    log32, grads32 = train_step(model, data, False, device)
    log16, grads16 = train_step(model, data, True, device, dtype)
    assert set(log16) == set(log32)
    for key, value in log16.items():
        assert np.isfinite(value), key
        if 'loss' not in key:
            continue  # accuracies are monitoring only
        rtol = SAMPLED_RTOL if key in sampled else LOSS_RTOL
        assert abs(value - log32[key]) <= LOSS_ATOL + rtol * abs(log32[key]), (
            key,
            value,
            log32[key],
        )
    reached = {name for name, grad in grads16.items() if grad is not None}
    assert reached == {name for name, grad in grads32.items() if grad is not None}
    assert reached == {name for name in grads16 if not name.startswith(unused)}, sorted(
        set(grads16) - reached
    )
    assert all(torch.isfinite(grads16[name]).all() for name in reached)
    flat16 = torch.cat([grads16[name].flatten().float() for name in sorted(reached)])
    flat32 = torch.cat([grads32[name].flatten() for name in sorted(reached)])
    assert torch.cosine_similarity(flat16, flat32, dim=0) >= GRAD_COSINE


def _mmcv_ops() -> bool:
    try:
        import mmcv.ops  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.mark.parametrize('device,dtype', AUTOCASTS)
@pytest.mark.parametrize('name', list(PRETRAIN))
def test_pretraining_step_under_autocast(name, device, dtype):
    if name == 'pixpro-fpn' and not _mmcv_ops():
        pytest.skip(
            "mmdet's FPN imports mmdet, which needs mmcv's ops (absent in a "
            'MMCV_WITH_OPS=0 build, e.g. the GPU check)'
        )
    check_autocast_step(build_pretrain(name), two_view_batch(), device, dtype, UNUSED.get(name, ()))


@pytest.fixture(scope='module')
def maskd_files(tmp_path_factory):
    """Random teacher checkpoints (detector, segmentor) and random tokens for each."""
    pytest.importorskip('mmcv.ops', reason="MasKD's detectors need mmcv's ops (NMS, RoIAlign)")
    from projects.maskd.maskd import MaskModule, save_tokens
    from tests.test_projects.test_maskd.helpers import DET, SEG, build, load_config, save_weights

    root = tmp_path_factory.mktemp('maskd')
    files = {}
    for task, base, levels, channels in (('det', DET, 5, 32), ('seg', SEG, 1, 6)):
        torch.manual_seed(0)
        teacher = save_weights(build(load_config(base).model), root / f'{task}.pth')
        modules = torch.nn.ModuleList(MaskModule(channels, 6) for _ in range(levels))
        with torch.no_grad():
            for module in modules:
                module.mask_token.normal_(0, 0.2)
        tokens = str(root / f'{task}_tokens.pth')
        save_tokens(tokens, modules, teacher_ckpt=teacher)
        files[task] = (teacher, tokens)
    return files


@pytest.mark.parametrize('device,dtype', AUTOCASTS)
@pytest.mark.parametrize(
    'config,task,stage',
    [
        ('DET_TOKENS', 'det', 1),
        ('SEG_TOKENS', 'seg', 1),
        ('DET_KD', 'det', 2),
        ('SEG_KD', 'seg', 2),
    ],
)
def test_maskd_step_under_autocast(maskd_files, config, task, stage, device, dtype):
    from mmengine.registry import DefaultScope

    from tests.test_projects.test_maskd import helpers

    teacher, tokens = maskd_files[task]
    with DefaultScope.overwrite_default_scope('mmpcd'):
        cfg = helpers.load_config(getattr(helpers, config))
        cfg.model.teacher_ckpt = teacher
        if stage == 2:
            cfg.model.maskd_loss.tokens = tokens
        torch.manual_seed(0)
        model = helpers.build(cfg.model)
        model.init_weights()
        check_autocast_step(model, helpers.batch(cfg), device, dtype, sampled=DETECTOR_ROI_LOSSES)
