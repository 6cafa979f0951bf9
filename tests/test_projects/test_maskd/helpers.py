"""Shared pieces of the MasKD tests: the official formulas written out naively with
(N, T, C, H, W) tensors, the tiny configs, teacher checkpoints and batches."""

import os.path as osp
from typing import Optional

import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.dataset import pseudo_collate

from mmpcd.registry import DATASETS, MODELS
from mmpcd.utils import register_all_modules
from tests.conftest import REPO_ROOT

TINY = osp.join(REPO_ROOT, 'projects', 'maskd', 'configs', 'tiny')
DET = 'faster-rcnn_r18_tiny_synthetic.py'
DET_TOKENS = 'maskd-tokens_faster-rcnn_r18_tiny_synthetic.py'
DET_KD = 'maskd_fpn_faster-rcnn_r18_faster-rcnn_r18_tiny_synthetic.py'
SEG = 'fcn_r18-d8_tiny_synthetic-seg.py'
SEG_TOKENS = 'maskd-tokens_fcn_r18-d8_tiny_synthetic-seg.py'
SEG_KD = 'maskd_logits_fcn_r18-d8_fcn_r18-d8_tiny_synthetic-seg.py'


def load_config(name: str) -> Config:
    register_all_modules(init_default_scope=False)
    import projects.maskd.maskd  # noqa: F401  (registers the MasKD modules)

    return Config.fromfile(osp.join(TINY, name))


def official_masks(tokens: torch.Tensor, feat: torch.Tensor) -> torch.Tensor:
    """The official ``forward_mask``: tokens expanded to (N, T, C), bmm with (N, C, HW)."""
    n, c, h, w = feat.shape
    logits = torch.bmm(tokens.expand(n, -1, -1), feat.reshape(n, c, h * w))
    return logits.sigmoid().reshape(n, -1, h, w)


def naive_maskd_loss(
    mask_module, feat_s, feat_t, weight_mask: bool, custom_mask: bool, eps: float = 0.0
) -> torch.Tensor:
    """The official per-level loss, built with (N, T, C, H, W) broadcasts."""
    masks = official_masks(mask_module.mask_token, feat_t)
    if custom_mask:
        # The official student mask is computed under no_grad.
        masks = masks * official_masks(mask_module.mask_token, feat_s.detach())
    m5 = masks.unsqueeze(2)  # (N, T, 1, H, W)
    masked_s = feat_s.unsqueeze(1) * m5  # (N, T, C, H, W)
    masked_t = feat_t.unsqueeze(1) * m5
    loss = (masked_s - masked_t).pow(2).sum((3, 4)) / (masks.sum((2, 3)).unsqueeze(2) + eps)
    if weight_mask:
        weights = F.softmax(mask_module.prob(feat_t).reshape(feat_t.size(0), -1), dim=1)
        return (loss.mean(2) * weights).sum(1).mean()
    return loss.mean()


def save_weights(model: torch.nn.Module, path: str) -> str:
    """A weights-only checkpoint of ``model`` (what the mmdet/mmseg zoos publish)."""
    torch.save(dict(state_dict=model.state_dict(), meta=dict()), path)
    return str(path)


def build(cfg_model) -> torch.nn.Module:
    return MODELS.build(cfg_model)


def batch(cfg: Config, size: int = 2, start: int = 0) -> dict:
    """A collated training batch of the config's dataset."""
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    return pseudo_collate([dataset[i] for i in range(start, start + size)])


def params(module: torch.nn.Module, prefix: Optional[str] = None) -> dict:
    """Detached copies of the parameters (optionally only under ``prefix``)."""
    return {
        k: v.detach().clone()
        for k, v in module.named_parameters()
        if prefix is None or k.startswith(prefix)
    }
