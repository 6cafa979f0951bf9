"""docs/en/advanced/add_a_method.md: its example (a loss, a head, a config) runs as written."""

import os.path as osp
import re
import sys
from types import ModuleType

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.logging import MessageHub
from mmpretrain.structures import DataSample

from mmpcd.registry import MODELS
from mmpcd.utils import register_all_modules
from tests.conftest import REPO_ROOT

DOC = osp.join(REPO_ROOT, 'docs', 'en', 'advanced', 'add_a_method.md')
# A python block of the doc whose first line names the file it shows.
FILE_BLOCK = re.compile(r'```python\n# (\S+)\n(.*?)```', re.S)


def _doc_files():
    with open(DOC) as file:
        return dict(FILE_BLOCK.findall(file.read()))


def test_the_doc_shows_a_loss_a_head_and_a_config():
    assert sorted(_doc_files()) == [
        'configs/pixpro/pixpro-soft_resnet18_1xb16-lars-coslr-2e_demo.py',
        'mmpcd/models/heads/soft_pixpro_head.py',
        'mmpcd/models/losses/soft_pixpro_loss.py',
    ]


@pytest.mark.usefixtures('one_thread', 'mmpcd_scope')
def test_the_example_method_trains_one_step(tmp_path, monkeypatch):
    files = _doc_files()
    register_all_modules(init_default_scope=False)
    loss_module = {}
    exec(files['mmpcd/models/losses/soft_pixpro_loss.py'], loss_module)
    # The head imports the loss from where the doc puts it.
    fake = ModuleType('mmpcd.models.losses.soft_pixpro_loss')
    fake.soft_pixpro_loss = loss_module['soft_pixpro_loss']
    monkeypatch.setitem(sys.modules, fake.__name__, fake)
    if 'SoftPixProHead' not in MODELS.module_dict:  # registered once per process
        exec(files['mmpcd/models/heads/soft_pixpro_head.py'], {})

    config = tmp_path / 'pixpro-soft.py'
    base = osp.join(REPO_ROOT, 'configs', 'pixpro', 'pixpro_resnet18_1xb16-lars-coslr-2e_demo.py')
    config.write_text(
        files['configs/pixpro/pixpro-soft_resnet18_1xb16-lars-coslr-2e_demo.py'].replace(
            "'./pixpro_resnet18_1xb16-lars-coslr-2e_demo.py'", repr(base)
        )
    )
    cfg = Config.fromfile(str(config))
    assert cfg.model.head == dict(type='SoftPixProHead', pos_ratio=0.7)

    MessageHub.get_current_instance().update_info('max_iters', 10)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model).train()
    gen = torch.Generator().manual_seed(0)
    views = [torch.rand(4, 3, 64, 64, generator=gen) * 255 for _ in range(2)]
    samples = []
    for _ in range(4):
        sample = DataSample()
        sample.set_field(
            np.array([[0.1, 0.1, 0.7, 0.7], [0.2, 0.2, 0.8, 0.8]], np.float32), 'coord'
        )
        samples.append(sample)
    data = model.data_preprocessor(dict(inputs=views, data_samples=samples), True)
    losses = model.loss(data['inputs'], data['data_samples'])
    assert set(losses) == {'loss_softpixpro'}
    assert torch.isfinite(losses['loss_softpixpro']) and -4 <= losses['loss_softpixpro'] <= 4
    losses['loss_softpixpro'].backward()
    assert model.backbone.conv1.weight.grad.abs().sum() > 0

    # The loss itself: identical constant maps on identical crops give -2 (all cosines 1).
    flat = torch.randn(2, 8, 1, 1).expand(2, 8, 3, 3)
    coord = torch.tensor([[0.1, 0.2, 0.7, 0.9], [0.8, 0.0, 0.2, 0.6]])
    assert loss_module['soft_pixpro_loss'](flat, flat, coord, coord).item() == pytest.approx(
        -2.0, abs=1e-5
    )
