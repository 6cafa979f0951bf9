"""Running the visualisation tools in-process, the commands of their doc, and the demo-run
checkpoints and logs those commands refer to."""

import os.path as osp
import shutil
from typing import List

import numpy as np
import torch
from matplotlib.image import imread
from mmengine.config import Config
from mmengine.logging import HistoryBuffer

from tests.conftest import REPO_ROOT, load_script
from tests.doc_commands import documented_commands

DOC = osp.join(REPO_ROOT, 'docs/en/user_guides/visualization.md')
DATA = osp.join(osp.dirname(osp.abspath(__file__)), 'data')
TOOLS = (
    'visualize_erf.py',
    'visualize_features.py',
    'visualize_correspondence.py',
    'analyze_logs.py',
)
PIXPRO = 'configs/pixpro/pixpro_resnet18_1xb16-lars-coslr-2e_demo.py'
DENSECL = 'configs/densecl/densecl_resnet18_1xb16-coslr-2e_demo.py'
PCD = 'configs/pcd/pcd_resnet18_mocov3-resnet18_1xb8-lars-coslr-2e_demo.py'


def load_tool(name: str):
    """The module of ``tools/analysis_tools/<name>`` (its ``main(argv)`` runs the tool)."""
    return load_script(f'tools/analysis_tools/{name}')


def read_png(path: str) -> np.ndarray:
    """(H, W, C) float pixels of a PNG file, after checking that it is one."""
    with open(path, 'rb') as f:
        assert f.read(8) == b'\x89PNG\r\n\x1a\n', f'{path} is not a PNG'
    return imread(path)


def assert_png(path: str, height: int, width: int) -> np.ndarray:
    """The PNG has this size and is not a blank page."""
    image = read_png(path)
    assert image.shape[:2] == (height, width)
    assert image[..., :3].std() > 0.05, f'{path} is (nearly) uniform'
    return image


def doc_commands(tool: str) -> List[List[str]]:
    """argv (after the script) of every command of the doc that runs ``tool``."""
    script = f'tools/analysis_tools/{tool}'
    return [command.args for command in documented_commands([DOC]) if command.script == script]


def in_work_dir(argv: List[str], work_dir: str) -> List[str]:
    """The doc's ``work_dirs/...`` paths moved into ``work_dir`` (which holds the demo runs'
    files, see :func:`make_demo_work_dirs`)."""
    return [arg.replace('work_dirs/', f'{work_dir}/') for arg in argv]


def save_training_checkpoint(config: str, path: str, seed: int) -> dict:
    """What tools/train.py writes for ``config``: the whole algorithm's state dict (with its
    momentum encoder, queues, ...) and mmengine's pickled message hub. Returns the state."""
    from mmengine.registry import DefaultScope

    from mmpcd.registry import MODELS
    from mmpcd.utils import register_all_modules

    register_all_modules(init_default_scope=False)
    torch.manual_seed(seed)
    cfg = Config.fromfile(osp.join(REPO_ROOT, config))
    if 'teacher' in cfg.model:
        cfg.model.teacher.checkpoint = 'random'  # a PCD config names none
    with DefaultScope.overwrite_default_scope('mmpcd'):  # as a run's default_scope
        model = MODELS.build(cfg.model)
    state = model.state_dict()
    buffer = HistoryBuffer()
    buffer.update(1.0)
    torch.save(
        dict(
            meta=dict(epoch=2),
            state_dict=state,
            message_hub=dict(log_scalars={'train/loss': buffer}),
        ),
        path,
    )
    return state


def make_demo_work_dirs(root: str) -> None:
    """``root/{pixpro,densecl}_demo`` as the doc's two demo runs leave them: epoch_2.pth and
    the json log (real logs of those runs, under the doc's TIMESTAMP placeholder)."""
    import os

    for name, config, seed in (('pixpro', PIXPRO, 1), ('densecl', DENSECL, 2)):
        run_dir = osp.join(root, f'{name}_demo')
        os.makedirs(osp.join(run_dir, 'TIMESTAMP', 'vis_data'))
        save_training_checkpoint(config, osp.join(run_dir, 'epoch_2.pth'), seed)
        shutil.copy(
            osp.join(DATA, f'{name}_demo_scalars.json'),
            osp.join(run_dir, 'TIMESTAMP', 'vis_data', 'TIMESTAMP.json'),
        )
    os.makedirs(osp.join(root, 'vis'))
