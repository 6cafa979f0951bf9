"""PCD's MoCo v3 ViT teacher: an official-layout checkpoint (timm names, ``module.momentum_
encoder.*``, 3-layer head with a final affine-free BN) loads into mmpretrain's
VisionTransformer + SpatialAdaptor, and the teacher's output equals a transcription of the
official forward (allo-rene/pcd ``pcd/backbone/vit.py`` ``forward_features`` with timm's
blocks, then ``pcd/teacher_model/mocov3_vit.py`` ``ModifiedMLP``); then two iterations of
tools/train.py with it, and the student's export in mmdet."""

import math
import os.path as osp

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.registry import DefaultScope

from mmpcd.models.teachers.layouts import timm_vit_key
from mmpcd.registry import MODELS
from mmpcd.utils import register_all_modules
from tests.conftest import REPO_ROOT
from tests.test_tools.test_pcd_train import OPTIONS, newest_log, run

DEMO = 'tests/data/configs/pcd_r18_mocov3-vit-teacher_demo.py'
DIM, HEADS, FFN, DEPTH, HID, OUT = 64, 2, 128, 2, 128, 64  # the demo teacher


class OfficialBlock(nn.Module):
    """timm's ``Block`` (pre-norm attention and MLP, no layer scale), names included."""

    def __init__(self):
        super().__init__()
        self.norm1 = nn.LayerNorm(DIM, eps=1e-6)
        self.attn = nn.Module()
        self.attn.qkv = nn.Linear(DIM, 3 * DIM)
        self.attn.proj = nn.Linear(DIM, DIM)
        self.norm2 = nn.LayerNorm(DIM, eps=1e-6)
        self.mlp = nn.Module()
        self.mlp.fc1 = nn.Linear(DIM, FFN)
        self.mlp.fc2 = nn.Linear(FFN, DIM)

    def forward(self, x):
        n, t, c = x.shape
        qkv = self.attn.qkv(self.norm1(x)).reshape(n, t, 3, HEADS, c // HEADS)
        q, k, v = qkv.permute(2, 0, 3, 1, 4)
        attn = (q @ k.transpose(-2, -1) / math.sqrt(c // HEADS)).softmax(-1)
        x = x + self.attn.proj((attn @ v).transpose(1, 2).reshape(n, t, c))
        return x + self.mlp.fc2(F.gelu(self.mlp.fc1(self.norm2(x))))


class OfficialMoCoV3ViT(nn.Module):
    """The momentum encoder of an official MoCo v3 ViT (patch 16, 64 px inputs)."""

    def __init__(self):
        super().__init__()
        self.patch_embed = nn.Module()
        self.patch_embed.proj = nn.Conv2d(3, DIM, 16, 16)
        self.cls_token = nn.Parameter(torch.randn(1, 1, DIM) * 0.02)
        self.pos_embed = nn.Parameter(torch.randn(1, 17, DIM) * 0.02)
        self.blocks = nn.ModuleList(OfficialBlock() for _ in range(DEPTH))
        self.norm = nn.LayerNorm(DIM, eps=1e-6)
        self.head = nn.Sequential(
            nn.Linear(DIM, HID, bias=False),
            nn.BatchNorm1d(HID),
            nn.ReLU(),
            nn.Linear(HID, HID, bias=False),
            nn.BatchNorm1d(HID),
            nn.ReLU(),
            nn.Linear(HID, OUT, bias=False),
            nn.BatchNorm1d(OUT, affine=False),
        )

    def forward_features(self, img):
        """vit.py:27-44 with flatten=False: every token after the final norm."""
        x = self.patch_embed.proj(img).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls_token.expand(len(x), -1, -1), x], dim=1) + self.pos_embed
        for block in self.blocks:
            x = block(x)
        return self.norm(x)

    def pcd_teacher(self, img, out_size):
        """mocov3_vit.py:12-25 and :83-110: the head made spatial on the patch tokens."""
        x = self.forward_features(img)[:, 1:, :]
        n, hw, c = x.shape
        x = x.transpose(1, 2).reshape(n, c, int(hw**0.5), int(hw**0.5))
        for i in (0, 3, 6):
            x = F.conv2d(x, self.head[i].weight[..., None, None])
            if i < 6:
                bn = self.head[i + 1]
                x = F.batch_norm(x, bn.running_mean, bn.running_var, bn.weight, bn.bias)
                x = x * (x.sum(dim=(2, 3)) > 0).float()[..., None, None]  # SpatialReLU
        return F.adaptive_avg_pool2d(x, [out_size, out_size])


@pytest.fixture(scope='module')
def official_checkpoint(tmp_path_factory):
    torch.manual_seed(0)
    encoder = OfficialMoCoV3ViT()
    for bn in (encoder.head[1], encoder.head[4]):  # non-trivial running statistics
        bn.running_mean.uniform_(-0.5, 0.5)
        bn.running_var.uniform_(0.5, 2.0)
    state = {f'module.momentum_encoder.{k}': v for k, v in encoder.state_dict().items()}
    state['module.predictor.0.weight'] = torch.zeros(1)  # another network: ignored
    path = tmp_path_factory.mktemp('vit') / 'vit-b-300ep.pth.tar'
    torch.save(dict(state_dict=state), path)
    return path, encoder.eval()


def _teacher(checkpoint):
    """The demo's teacher as the runner gives it to training: built, then ``init_weights()``
    (which reads the checkpoint weights-only)."""
    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(osp.join(REPO_ROOT, DEMO))
    cfg.model.teacher.checkpoint = str(checkpoint)
    with DefaultScope.overwrite_default_scope('mmpcd'):
        teacher = MODELS.build(cfg.model.teacher)
        teacher.init_weights()
    return teacher.eval()


def test_official_checkpoint_loads_and_the_output_matches_the_official_forward(official_checkpoint):
    path, encoder = official_checkpoint
    teacher = _teacher(path)
    source = {
        timm_vit_key(k): v for k, v in encoder.state_dict().items() if not k.startswith('head.')
    }
    for key, value in teacher.backbone.state_dict().items():
        torch.testing.assert_close(value, source[key], msg=key)
    img = torch.randn(3, 3, 64, 64)
    with torch.no_grad():
        ours = teacher(img)
        official = encoder.pcd_teacher(img, out_size=2)
    assert ours.shape == (3, OUT, 2, 2)
    torch.testing.assert_close(ours, official, rtol=1e-4, atol=1e-5)


def test_a_resnet_checkpoint_is_refused_with_the_layout_it_looks_like(tmp_path):
    import torchvision

    encoder = torchvision.models.resnet18()
    encoder.fc = nn.Sequential(nn.Linear(512, 8))
    torch.save(
        dict(
            state_dict={f'module.momentum_encoder.{k}': v for k, v in encoder.state_dict().items()}
        ),
        tmp_path / 'r.pth',
    )
    with pytest.raises(ValueError, match="looks like layout \\['mocov3'\\]"):
        _teacher(tmp_path / 'r.pth')


def test_the_vit_b16_config_is_the_official_teacher():
    cfg = Config.fromfile(
        osp.join(
            REPO_ROOT, 'configs/pcd/pcd_resnet18_mocov3-vit-b16_8xb128-lars-coslr-100e_in1k.py'
        )
    )
    teacher = cfg.model.teacher
    assert (teacher.backbone.arch, teacher.backbone.patch_size) == ('b', 16)
    assert teacher.adaptor.channels == (768, 4096, 4096, 256) and teacher.out_size == 7
    assert teacher.layout == 'mocov3_vit' and cfg.model.neck.out_channels == 256


def test_two_iterations_through_tools_train_and_the_student_loads_into_mmdet(
    official_checkpoint, python, repo_root, tmp_path
):
    path, _ = official_checkpoint
    run(
        python,
        repo_root,
        DEMO,
        '--work-dir',
        str(tmp_path),
        '--cfg-options',
        *OPTIONS,
        f'teacher_checkpoint={path}',
        'train_cfg.max_epochs=1',
    )
    log = newest_log(tmp_path)
    assert f'Loaded the PCD teacher from {path}' in log and 'Epoch(train) [1][2/2]' in log
    state = torch.load(tmp_path / 'epoch_1.pth', map_location='cpu', weights_only=False)[
        'state_dict'
    ]
    from mmdet.models.backbones import ResNet

    backbone = ResNet(depth=18)
    backbone.load_state_dict(
        {k[len('backbone.') :]: v for k, v in state.items() if k.startswith('backbone.')},
        strict=True,
    )
