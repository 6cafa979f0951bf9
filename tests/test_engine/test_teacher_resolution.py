"""One PCD teacher from ``teacher_checkpoint`` / ``model.teacher.checkpoint`` (issue 13, row 2):
whichever the user set wins, both set differently is an error, random only when asked."""

import json
import os.path as osp

import pytest
from mmengine.config import Config

from mmpcd.engine.runners import resolve_teacher_checkpoint
from tests.conftest import REPO_ROOT

DEMO = osp.join(
    REPO_ROOT, 'configs', 'pcd', 'pcd_resnet18_mocov3-resnet18_1xb8-lars-coslr-2e_demo.py'
)
MAIN = osp.join(
    REPO_ROOT, 'configs', 'pcd', 'pcd_resnet18_mocov3-resnet50_8xb128-lars-coslr-100e_in1k.py'
)


def resolved(config: str, **options) -> Config:
    cfg = Config.fromfile(config)
    cfg.merge_from_dict(options)  # what --cfg-options does
    return resolve_teacher_checkpoint(cfg)


@pytest.fixture
def teacher_file(tmp_path) -> str:
    path = tmp_path / 'teacher.pth'
    path.write_bytes(b'not read here')
    return str(path)


def test_the_model_key_is_not_replaced_by_the_top_level_variable(teacher_file):
    """main: ``model.teacher.checkpoint=PATH`` trained against the config's 'random'."""
    cfg = resolved(DEMO, **{'model.teacher.checkpoint': teacher_file})
    assert cfg.model.teacher.checkpoint == teacher_file


def test_the_top_level_variable_reaches_the_model(teacher_file):
    assert resolved(MAIN, teacher_checkpoint=teacher_file).model.teacher.checkpoint == teacher_file


def test_both_set_differently_is_an_error_and_the_same_value_is_fine(teacher_file, tmp_path):
    other = str(tmp_path / 'other.pth')
    with pytest.raises(ValueError, match='set twice.*Set only one'):
        resolved(DEMO, teacher_checkpoint=other, **{'model.teacher.checkpoint': teacher_file})
    cfg = resolved(
        DEMO, teacher_checkpoint=teacher_file, **{'model.teacher.checkpoint': teacher_file}
    )
    assert cfg.model.teacher.checkpoint == teacher_file


def test_no_config_defaults_to_a_random_teacher():
    for config in (DEMO, MAIN):
        with pytest.raises(
            ValueError,
            match='teacher_checkpoint is not set.*teacher_checkpoint=random for a smoke test',
        ):
            resolved(config)
    assert resolved(DEMO, teacher_checkpoint='random').model.teacher.checkpoint == 'random'


def test_a_missing_file_is_reported_before_anything_is_built():
    with pytest.raises(
        FileNotFoundError,
        match='/no/teacher.pth does not exist and is not a teacher of the model zoo',
    ):
        resolved(MAIN, teacher_checkpoint='/no/teacher.pth')


def test_the_trust_switch_reaches_the_teacher(teacher_file):
    cfg = resolved(DEMO, teacher_checkpoint=teacher_file, teacher_checkpoint_trust=True)
    assert cfg.model.teacher.trust is True
    assert 'trust' not in resolved(DEMO, teacher_checkpoint=teacher_file).model.teacher


def test_configs_built_in_python_and_other_models_are_handled():
    cfg = Config(dict(teacher_checkpoint=None, model=dict(teacher=dict(checkpoint='random'))))
    assert resolve_teacher_checkpoint(cfg).model.teacher.checkpoint == 'random'
    maskd = Config(dict(model=dict(type='MaskLearner', teacher=dict(type='FasterRCNN'))))
    assert resolve_teacher_checkpoint(maskd) == maskd


def test_a_random_teacher_is_a_warning_and_a_scalar(tmp_path, python, repo_root):
    """End to end with tools/train.py: the dumped config, the log and vis_data/scalars.json."""
    import subprocess

    work_dir = tmp_path / 'work'
    result = subprocess.run(
        [
            python,
            'tools/train.py',
            DEMO,
            '--work-dir',
            str(work_dir),
            '--cfg-options',
            'teacher_checkpoint=random',
            'train_dataloader.batch_size=2',
            'train_dataloader.num_workers=0',
            'train_dataloader.dataset.indices=2',
            'train_cfg.max_epochs=1',
        ],
        cwd=repo_root,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert 'WARNING - RANDOM teacher (teacher)' in result.stdout + result.stderr
    scalars = [
        json.loads(line)
        for run in work_dir.glob('*/vis_data/scalars.json')
        for line in run.read_text().splitlines()
    ]
    assert {'random_teacher': 1, 'step': 0} in scalars
