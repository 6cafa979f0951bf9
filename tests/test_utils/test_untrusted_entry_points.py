"""A crafted pickle runs no code through any entry point that reads a checkpoint, unless the
user names the trust switch (issue 13, row 1).

The payload is a checkpoint whose ``meta`` holds an object whose ``__reduce__`` returns
``(open, (marker, 'w'))``: unpickling it creates the marker file. :data:`ENTRY_POINTS` lists
**every** reader of a checkpoint (Python functions, config keys, every CLI of ``tools/`` and
``projects/maskd/tools/``); each one is run without its switch (no marker, the error names
the switch) and with it (the marker appears: the entry point really reads the file, so the
first check can fail). :func:`test_every_tool_is_classified` makes a new script fail until it
is added to the table or to :data:`NOT_READING`, and :func:`test_one_reader` fails when code
outside ``mmpcd/utils/checkpoint.py`` calls ``torch.load`` itself.
"""

import ast
import glob
import os.path as osp
import re
import sys
from typing import Callable, List, NamedTuple

import pytest
import torch

from tests.conftest import REPO_ROOT, load_script

DENSECL = 'configs/densecl/densecl_resnet18_1xb16-coslr-2e_demo.py'
PCD = 'configs/pcd/pcd_resnet18_mocov3-resnet18_1xb8-lars-coslr-2e_demo.py'
TEST_CONFIG = 'tests/data/configs/fcn_r18_synthetic-seg.py'
MASKD_TOKENS = 'projects/maskd/configs/tiny/maskd-tokens_faster-rcnn_r18_tiny_synthetic.py'
MASKD_DISTIL = (
    'projects/maskd/configs/tiny/maskd_fpn_faster-rcnn_r18_faster-rcnn_r18_tiny_synthetic.py'
)
IMAGE_DIR = osp.join(REPO_ROOT, 'data', 'demo', 'images')
TINY_TRAIN = [
    'train_dataloader.batch_size=2',
    'train_dataloader.num_workers=0',
    'train_dataloader.dataset.indices=2',
    'model.queue_len=64',
]


class Payload:
    """Creates ``marker`` when unpickled."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, 'w'))


class EntryPoint(NamedTuple):
    name: str
    switch: str  # what the error must name
    run: Callable  # run(path, tmp_path, trust) reads path; may raise anything


# ---- how each entry point is called --------------------------------------------------------


def _cli(script: str, *args: str, trust_flag: str = '--trust') -> Callable:
    """``script``'s main() in this process, with ``args`` (``{path}``/``{tmp}`` filled in)."""

    def run(path, tmp_path, trust, monkeypatch):
        argv = [
            a.format(path=path, tmp=tmp_path, images=IMAGE_DIR, image=_first_image()) for a in args
        ]
        argv += [trust_flag] if trust else []
        module = load_script(script)
        monkeypatch.setattr(sys, 'argv', [script, *argv])
        module.main()

    return run


def _train(flags=(), options=(), trust_option: str = '--trust') -> Callable:
    """tools/train.py on the DenseCL demo (the PCD demo for ``teacher_checkpoint``) with
    command-line ``flags`` and ``--cfg-options``; ``trust_option`` is a flag or an option."""

    def run(path, tmp_path, trust, monkeypatch):
        pcd = any('teacher' in o for o in options)
        flags_ = [f.format(path=path) for f in flags]
        options_ = [o.format(path=path) for o in options] + TINY_TRAIN
        if trust:
            (flags_ if trust_option.startswith('--') else options_).append(trust_option)
        module = load_script('tools/train.py')
        monkeypatch.setattr(
            sys,
            'argv',
            [
                'tools/train.py',
                PCD if pcd else DENSECL,
                '--work-dir',
                str(tmp_path / 'work'),
                *flags_,
                '--cfg-options',
                *options_,
                'train_cfg.max_epochs=1',
            ],
        )
        module.main()

    return run


def _read_checkpoint(path, tmp_path, trust, monkeypatch):
    from mmpcd.utils.checkpoint import read_checkpoint

    read_checkpoint(path, trust=trust)


def _get_checkpoint(path, tmp_path, trust, monkeypatch):
    from mmpcd.apis import get_checkpoint

    get_checkpoint(path, cache_dir=str(tmp_path / 'cache'), trust=trust)


def _get_checkpoint_url(path, tmp_path, trust, monkeypatch):
    from mmpcd.apis import get_checkpoint

    get_checkpoint(
        'file://' + path, cache_dir=str(tmp_path / 'cache'), trust=trust, show_progress=False
    )


def _get_checkpoint_converted(path, tmp_path, trust, monkeypatch):
    from mmpcd.apis import get_checkpoint

    get_checkpoint(
        path, cache_dir=str(tmp_path / 'cache'), trust=trust, converter='pixpro_to_mmpcd'
    )


def _resnet18(init_cfg=None):
    from mmpcd.registry import MODELS

    return MODELS.build(dict(type='ResNet', depth=18, init_cfg=init_cfg))


def _load_pretrained(path, tmp_path, trust, monkeypatch):
    from mmpcd.models.utils import load_pretrained

    load_pretrained(_resnet18(), path, trust=trust)


def _pretrained_init_cfg(path, tmp_path, trust, monkeypatch):
    init_cfg = dict(type='Pretrained', _scope_='mmpcd', checkpoint=path, prefix='backbone.')
    if trust:
        init_cfg['trust'] = True
    _resnet18(init_cfg).init_weights()


def _pcd_teacher(path, tmp_path, trust, monkeypatch):
    from mmpcd.models.teachers import PCDTeacher

    PCDTeacher(
        backbone=dict(type='ResNet', depth=18, out_indices=(3,)),
        adaptor=dict(type='SpatialAdaptor', channels=(512, 8)),
        checkpoint=path,
        trust=trust,
    ).init_weights()


def _feature_model(path, tmp_path, trust, monkeypatch):
    from mmpcd.visualization import build_feature_model

    build_feature_model(osp.join(REPO_ROOT, DENSECL), path, trust=trust)


def _probe_backbone(path, tmp_path, trust, monkeypatch):
    from mmpcd.evaluation import build_probe_backbone

    build_probe_backbone(osp.join(REPO_ROOT, DENSECL), path, trust=trust)


def _maskd_model(config: str, key: str, trust_key: str) -> Callable:
    """Build a MasKD model of a tiny config with ``model.<key>=path`` and start training
    (``init_weights``: where MasKD reads its teacher and tokens)."""

    def run(path, tmp_path, trust, monkeypatch):
        from mmengine.config import Config
        from mmengine.registry import DefaultScope

        from mmpcd.registry import MODELS
        from mmpcd.utils import register_all_modules

        register_all_modules(init_default_scope=False)
        import projects.maskd.maskd  # noqa: F401

        cfg = Config.fromfile(osp.join(REPO_ROOT, config))
        cfg.merge_from_dict({f'model.{key}': path, f'model.{trust_key}': trust})
        if key != 'teacher_ckpt':
            cfg.model.teacher_ckpt = 'random'  # read before the tokens
        with DefaultScope.overwrite_default_scope('mmpcd'):
            MODELS.build(cfg.model).init_weights()

    return run


def _pcd_teacher_converter(path, tmp_path, trust, monkeypatch):
    from mmpcd.converters.pcd_teacher import write_pcd_teacher

    write_pcd_teacher(path, str(tmp_path / 'out.pth'), trust=trust)


ENTRY_POINTS = [
    # Python functions and classes
    EntryPoint('mmpcd.utils.checkpoint.read_checkpoint', 'trust=True', _read_checkpoint),
    EntryPoint('mmpcd.apis.get_checkpoint(file)', 'trust=True to get_checkpoint', _get_checkpoint),
    EntryPoint(
        'mmpcd.apis.get_checkpoint(URL) / mmpcd.hub.fetch',
        'trust=True to get_checkpoint',
        _get_checkpoint_url,
    ),
    EntryPoint(
        'mmpcd.apis.get_checkpoint(converter=...)',
        'trust=True to get_checkpoint',
        _get_checkpoint_converted,
    ),
    EntryPoint(
        'mmpcd.models.utils.load_pretrained', 'trust=True in the init_cfg', _load_pretrained
    ),
    EntryPoint(
        "init_cfg=dict(type='Pretrained', _scope_='mmpcd')",
        'trust=True in the init_cfg',
        _pretrained_init_cfg,
    ),
    EntryPoint(
        'PCDTeacher (model.teacher.checkpoint)', 'teacher_checkpoint_trust=True', _pcd_teacher
    ),
    EntryPoint('mmpcd.visualization.build_feature_model', '--trust', _feature_model),
    EntryPoint(
        'mmpcd.evaluation.build_probe_backbone / run_dense_probe',
        'dense_probe.py --trust',
        _probe_backbone,
    ),
    EntryPoint(
        'MaskLearner(teacher_ckpt)',
        'model.teacher_ckpt_trust=True',
        _maskd_model(MASKD_TOKENS, 'teacher_ckpt', 'teacher_ckpt_trust'),
    ),
    EntryPoint(
        'MasKDDistiller(teacher_ckpt)',
        'model.teacher_ckpt_trust=True',
        _maskd_model(MASKD_DISTIL, 'teacher_ckpt', 'teacher_ckpt_trust'),
    ),
    EntryPoint(
        'MasKDLoss(tokens)',
        'model.maskd_loss.tokens_trust=True',
        _maskd_model(MASKD_DISTIL, 'maskd_loss.tokens', 'maskd_loss.tokens_trust'),
    ),
    EntryPoint(
        'mmpcd.converters.pcd_teacher.write_pcd_teacher (demo, dense bench)',
        'trust=True',
        _pcd_teacher_converter,
    ),
    # Configs through tools/train.py (the runner)
    EntryPoint(
        'tools/train.py teacher_checkpoint=PATH (PCD)',
        'teacher_checkpoint_trust=True',
        _train(options=['teacher_checkpoint={path}'], trust_option='teacher_checkpoint_trust=True'),
    ),
    EntryPoint(
        'tools/train.py model.teacher.checkpoint=PATH (PCD)',
        'teacher_checkpoint_trust=True',
        _train(
            options=['model.teacher.checkpoint={path}'], trust_option='model.teacher.trust=True'
        ),
    ),
    EntryPoint('tools/train.py --resume PATH', '--trust', _train(flags=['--resume', '{path}'])),
    EntryPoint(
        'tools/train.py load_from=PATH',
        'load_from_trust=True',
        _train(options=['load_from={path}'], trust_option='load_from_trust=True'),
    ),
    # CLIs
    EntryPoint(
        'tools/test.py',
        '--trust',
        _cli('tools/test.py', TEST_CONFIG, '{path}', '--work-dir', '{tmp}/work'),
    ),
    EntryPoint(
        'tools/model_converters/densecl_to_mmpcd.py',
        '--trust',
        _cli('tools/model_converters/densecl_to_mmpcd.py', '{path}', '{tmp}/out.pth'),
    ),
    EntryPoint(
        'tools/model_converters/pixpro_to_mmpcd.py',
        '--trust',
        _cli('tools/model_converters/pixpro_to_mmpcd.py', '{path}', '{tmp}/out.pth'),
    ),
    EntryPoint(
        'tools/model_converters/extract_backbone_weights.py',
        '--trust',
        _cli('tools/model_converters/extract_backbone_weights.py', '{path}', '{tmp}/out.pth'),
    ),
    EntryPoint(
        'tools/model_converters/publish_model.py',
        '--trust',
        _cli('tools/model_converters/publish_model.py', '{path}', '{tmp}/out.pth'),
    ),
    EntryPoint(
        'tools/misc/download_checkpoint.py',
        '--trust',
        _cli('tools/misc/download_checkpoint.py', '{path}', '--cache-dir', '{tmp}/c', '--quiet'),
    ),
    EntryPoint(
        'tools/analysis_tools/dense_probe.py',
        '--trust',
        _cli('tools/analysis_tools/dense_probe.py', DENSECL, '{path}', '--iters', '1'),
    ),
    EntryPoint(
        'tools/analysis_tools/visualize_features.py',
        '--trust',
        _cli(
            'tools/analysis_tools/visualize_features.py',
            DENSECL,
            '{path}',
            '--images',
            '{images}',
            '--out-dir',
            '{tmp}/vis',
        ),
    ),
    EntryPoint(
        'tools/analysis_tools/visualize_correspondence.py',
        '--trust',
        _cli(
            'tools/analysis_tools/visualize_correspondence.py',
            DENSECL,
            '{path}',
            '--image',
            '{image}',
            '--out',
            '{tmp}/c.png',
        ),
    ),
    EntryPoint(
        'tools/analysis_tools/visualize_erf.py',
        '--trust',
        _cli(
            'tools/analysis_tools/visualize_erf.py',
            DENSECL,
            '{path}',
            '--images',
            '{images}',
            '--out',
            '{tmp}/erf.png',
        ),
    ),
    EntryPoint(
        'projects/maskd/tools/export_student.py',
        '--trust',
        _cli('projects/maskd/tools/export_student.py', '{path}', '{tmp}/s.pth'),
    ),
    EntryPoint(
        'projects/maskd/tools/convert_official_tokens.py',
        '--trust',
        _cli('projects/maskd/tools/convert_official_tokens.py', '{path}', '{tmp}/t.pth'),
    ),
    EntryPoint(
        'projects/maskd/tools/visualize_masks.py',
        '--trust',
        _cli(
            'projects/maskd/tools/visualize_masks.py',
            MASKD_TOKENS,
            '{path}',
            '--teacher-ckpt',
            '{path}',
            '--image',
            '{image}',
            '--out',
            '{tmp}/m.png',
        ),
    ),
]

# Scripts that read no checkpoint file.
NOT_READING = {
    'tools/train.py': 'in the table through its options',
    'tools/analysis_tools/analyze_logs.py': 'reads json logs',
    'tools/analysis_tools/benchmark_ops.py': 'random inputs',
    'tools/analysis_tools/benchmark_train.py': 'random weights (random PCD teacher)',
    'tools/analysis_tools/benchmark_timing.py': 'a helper of the benchmarks',
    'tools/misc/check_images.py': 'reads images',
    'tools/setup/setup_env.sh': 'installs the environment',
    'tools/launch.sh': 'the launchers\' shared torchrun/srun call (their tools: in the table)',
    'tools/dist_train.sh': 'launches tools/train.py (in the table)',
    'tools/slurm_train.sh': 'launches tools/train.py (in the table)',
    'tools/dist_test.sh': 'launches tools/test.py (in the table)',
    'tools/slurm_test.sh': 'launches tools/test.py (in the table)',
    'projects/maskd/tools/benchmark_loss.py': 'random inputs',
    'tools/analysis_tools/benchmark_data.py': 'reads images',
    'tools/analysis_tools/gpu_check.py': 'random weights and inputs',
    'tools/analysis_tools/gpu_check_device.sh': 'runs the GPU check and the tests',
    'tools/analysis_tools/get_flops.py': 'random weights (no init_weights, no teachers read)',
    'tools/misc/browse_dataset.py': 'reads images',
    'tools/misc/print_config.py': 'reads configs',
    'tools/find_python.sh': 'sourced by the launchers: picks the python',
}


@pytest.fixture
def payload(tmp_path):
    """(checkpoint path, marker path): a state dict of every layout the entry points expect
    (mmengine ``state_dict``) and the payload in ``meta``."""
    marker = tmp_path / 'PWNED'
    path = tmp_path / 'evil_epoch_1.pth'
    torch.save(
        {
            'state_dict': {'backbone.conv1.weight': torch.zeros(64, 3, 7, 7)},
            'meta': {'epoch': 1, 'iter': 1, 'note': Payload(str(marker))},
        },
        path,
    )
    return str(path), marker


def _first_image() -> str:
    return sorted(glob.glob(osp.join(IMAGE_DIR, '*.jpg')))[0]


def _outcome(entry: EntryPoint, path: str, tmp_path, trust: bool, monkeypatch) -> str:
    """The entry point's error message ('' if it returned)."""
    monkeypatch.chdir(REPO_ROOT)
    monkeypatch.setattr(sys, 'path', [REPO_ROOT, *sys.path])
    try:
        entry.run(path, tmp_path, trust, monkeypatch)
    except SystemExit as exit_:
        return str(exit_.code)
    except BaseException as error:  # noqa: B902 - any failure after the read is fine
        return f'{type(error).__name__}: {error}'
    return ''


@pytest.mark.parametrize('entry', ENTRY_POINTS, ids=[e.name for e in ENTRY_POINTS])
def test_no_code_runs_without_the_trust_switch(entry, payload, tmp_path, monkeypatch):
    path, marker = payload
    message = _outcome(entry, path, tmp_path, False, monkeypatch)
    assert not marker.exists(), f'{entry.name} ran the pickled payload without trust'
    assert entry.switch in message, (
        f'{entry.name}: the error does not name {entry.switch!r}:\n{message[-2000:]}'
    )
    assert 'io.open' in message, message[-2000:]  # and says what it refused


@pytest.mark.parametrize('entry', ENTRY_POINTS, ids=[e.name for e in ENTRY_POINTS])
def test_the_switch_really_reads_the_file(entry, payload, tmp_path, monkeypatch):
    path, marker = payload
    _outcome(entry, path, tmp_path, True, monkeypatch)
    assert marker.exists(), f'{entry.name} did not read {path} with its trust switch'


def _scripts():
    patterns = ('tools/**/*.py', 'tools/**/*.sh', 'projects/maskd/tools/*.py')
    found = set()
    for pattern in patterns:
        found |= {
            osp.relpath(p, REPO_ROOT)
            for p in glob.glob(osp.join(REPO_ROOT, pattern), recursive=True)
        }
    return sorted(p for p in found if not p.startswith('tools/benchmarks/'))


def test_every_tool_is_classified():
    in_table = {re.match(r'[\w/.]+', entry.name).group(0) for entry in ENTRY_POINTS}
    unknown = [
        script for script in _scripts() if script not in in_table and script not in NOT_READING
    ]
    assert not unknown, f'add these scripts to ENTRY_POINTS or NOT_READING: {unknown}'


def _reading_calls(tree: ast.AST) -> List[str]:
    """Calls of ``torch.load``, ``CheckpointLoader.*`` and mmengine's ``(_)load_checkpoint``."""
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and (
                (func.value.id == 'torch' and func.attr == 'load')
                or func.value.id == 'CheckpointLoader'
            )
        ):
            found.append(f'{func.value.id}.{func.attr}')
        elif isinstance(func, ast.Name) and func.id in ('load_checkpoint', '_load_checkpoint'):
            found.append(func.id)
    return found


def test_one_reader():
    """Only mmpcd/utils/checkpoint.py calls torch.load or mmengine's loaders."""
    offenders = []
    for folder in ('mmpcd', 'tools', 'projects', 'demo'):
        for path in glob.glob(osp.join(REPO_ROOT, folder, '**', '*.py'), recursive=True):
            rel = osp.relpath(path, REPO_ROOT)
            if rel == osp.join('mmpcd', 'utils', 'checkpoint.py'):
                continue
            with open(path) as file:
                calls = _reading_calls(ast.parse(file.read()))
            if calls:
                offenders.append(f'{rel}: {calls}')
    assert not offenders, f'read checkpoints through mmpcd.utils.checkpoint: {offenders}'
