"""projects/maskd/tools/visualize_masks.py: receptive-token masks per level of a tiny teacher."""

import os.path as osp

import pytest
import torch

from tests.conftest import load_script
from tests.test_visualization.helpers import assert_png

from .helpers import DET_TOKENS, REPO_ROOT, SEG_TOKENS, TINY, build, load_config, save_weights

TOOL = osp.join(REPO_ROOT, 'projects', 'maskd', 'tools', 'visualize_masks.py')
IMAGE = osp.join(REPO_ROOT, 'data', 'demo', 'images', 'astronaut_c0.jpg')


@pytest.fixture(scope='module')
def tool():
    return load_script(TOOL)


def _tokens(cfg, path, teacher_ckpt='teacher.pth'):
    from projects.maskd.maskd.mask_module import MaskModule
    from projects.maskd.maskd.tokens import save_tokens

    torch.manual_seed(0)
    modules = torch.nn.ModuleList(
        MaskModule(c, cfg.model.num_tokens, cfg.model.weight_mask) for c in cfg.model.channels
    )
    save_tokens(str(path), modules, teacher_ckpt=teacher_ckpt)
    return modules


@pytest.mark.parametrize('config,levels,tokens', [(DET_TOKENS, 5, 6), (SEG_TOKENS, 1, 8)])
def test_masks_of_every_level_and_token_are_drawn(tool, tmp_path, capsys, config, levels, tokens):
    cfg = load_config(config)
    teacher = save_weights(build(cfg.model.teacher), tmp_path / 'teacher.pth')
    _tokens(cfg, tmp_path / 'tokens.pth')
    out = tmp_path / 'masks.png'
    tool.main(
        [
            osp.join(TINY, config),
            str(tmp_path / 'tokens.pth'),
            '--image',
            IMAGE,
            '--teacher-ckpt',
            teacher,
            '--size',
            '64',
            '--panel',
            '48',
            '--out',
            str(out),
        ]
    )
    assert_png(str(out), levels * (48 + 24), (tokens + 1) * 48)
    assert f'{levels} levels x {tokens} tokens' in capsys.readouterr().out


def test_masks_are_the_tokens_sigmoid_on_the_teachers_levels(tool, tmp_path):
    cfg = load_config(DET_TOKENS)
    teacher = build(cfg.model.teacher).eval()
    modules = _tokens(cfg, tmp_path / 'tokens.pth')
    x, rgb = tool.preprocess(teacher, IMAGE, 64)
    assert x.shape == (1, 3, 64, 64) and rgb.shape == (64, 64, 3)
    feats = tool.token_inputs(teacher, 'neck', x)
    with torch.no_grad():
        expected = teacher.neck(teacher.backbone(x))
    assert len(feats) == 5 and all(torch.equal(a, b) for a, b in zip(feats, expected))
    mask = modules[0].forward_mask(feats[0])
    direct = torch.sigmoid(torch.einsum('tc,nchw->nthw', modules[0].mask_token, feats[0]))
    torch.testing.assert_close(mask, direct)


def test_token_levels_must_match_the_teacher(tool, tmp_path):
    cfg = load_config(DET_TOKENS)
    teacher = save_weights(build(cfg.model.teacher), tmp_path / 'teacher.pth')
    cfg.model.channels = [32] * 4
    _tokens(cfg, tmp_path / 'tokens.pth')
    with pytest.raises(SystemExit, match='tokens have 4 levels but'):
        tool.main(
            [
                osp.join(TINY, DET_TOKENS),
                str(tmp_path / 'tokens.pth'),
                '--image',
                IMAGE,
                '--teacher-ckpt',
                teacher,
                '--size',
                '64',
                '--out',
                str(tmp_path / 'x.png'),
            ]
        )


def test_the_teacher_recorded_in_the_token_file_is_used(tool, tmp_path, capsys):
    """Stage 1 run with another --work-dir: its token file names the teacher it learned on;
    the tiny config names none."""
    cfg = load_config(DET_TOKENS)
    assert cfg.model.teacher_ckpt is None
    other_run = tmp_path / 'elsewhere'
    other_run.mkdir()
    teacher = save_weights(build(cfg.model.teacher), other_run / 'iter_8.pth')
    _tokens(cfg, tmp_path / 'tokens.pth', teacher_ckpt=teacher)
    out = tmp_path / 'masks.png'
    tool.main(
        [
            osp.join(TINY, DET_TOKENS),
            str(tmp_path / 'tokens.pth'),
            '--image',
            IMAGE,
            '--size',
            '64',
            '--panel',
            '32',
            '--out',
            str(out),
        ]
    )
    assert f'teacher: {teacher}' in capsys.readouterr().out
    assert osp.isfile(out)
    _tokens(cfg, tmp_path / 'anonymous.pth', teacher_ckpt=None)
    with pytest.raises(SystemExit, match='records no teacher checkpoint.*--teacher-ckpt'):
        tool.main(
            [
                osp.join(TINY, DET_TOKENS),
                str(tmp_path / 'anonymous.pth'),
                '--image',
                IMAGE,
                '--out',
                str(tmp_path / 'x.png'),
            ]
        )
