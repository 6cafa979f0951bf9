"""tools/model_converters/densecl_to_mmpcd.py on fake checkpoints of a tiny mmpretrain DenseCL.

The fake sources are written from the model's own state dict with inverse mappings spelled out
here, independently of the tool's tables; every converted tensor must load strictly and equal
the original.
"""

import os.path as osp
import subprocess
from typing import Dict, Iterable

import pytest
import torch
from mmengine.config import Config
from mmengine.logging import HistoryBuffer
from mmengine.model import ExponentialMovingAverage

from mmpcd.registry import MODELS
from mmpcd.utils import register_all_modules
from tests.conftest import REPO_ROOT, load_script

TOOL = osp.join(REPO_ROOT, 'tools', 'model_converters', 'densecl_to_mmpcd.py')
CONFIG = osp.join(REPO_ROOT, 'tests', 'data', 'configs', 'densecl_r18_tiny_convert.py')
QUEUES = ('queue', 'queue_ptr', 'queue2', 'queue2_ptr')

StateDict = Dict[str, torch.Tensor]


@pytest.fixture(scope='module')
def tool():
    """The converter, imported by path (``tools/`` is not a package)."""
    return load_script(TOOL)


@pytest.fixture(scope='module')
def densecl():
    """The tiny DenseCL of the test config and a reference state dict of random values (so
    that online and momentum weights differ and a swapped mapping cannot pass)."""
    register_all_modules()
    model = MODELS.build(Config.fromfile(CONFIG).model)
    assert type(model).__module__.startswith('mmpretrain.')
    generator = torch.Generator().manual_seed(0)
    reference = {}
    for key, value in model.state_dict().items():
        if value.is_floating_point():
            reference[key] = torch.randn(value.shape, generator=generator)
        else:
            reference[key] = torch.randint(1, 30, value.shape, generator=generator)
    return model, reference


def test_reference_layout(densecl):
    """The layout the converter targets: mmpretrain 1.2.0's DenseCL names."""
    _, reference = densecl
    groups = {
        '.'.join(key.split('.')[:3]) if key.startswith('encoder_k.module.') else key.split('.')[0]
        for key in reference
    }
    assert groups == {
        'backbone',
        'neck',
        'encoder_k.module.0',
        'encoder_k.module.1',
        'encoder_k',
        *QUEUES,
    }
    assert 'encoder_k.steps' in reference and 'backbone.layer1.0.conv1.weight' in reference
    assert {key for key in reference if key.startswith('neck.')} == {
        f'neck.{mlp}.{index}.{name}'
        for mlp in ('mlp', 'mlp2')
        for index in (0, 2)
        for name in ('weight', 'bias')
    }


def to_openselfsup(reference: StateDict, aliases: Iterable[str] = ()) -> StateDict:
    """OpenSelfSup/DenseCL names; ``aliases`` ('backbone', 'neck') are also kept under their
    own name, sharing the tensor, as those models register ``encoder_q[0/1]`` twice."""
    source = {}
    for key, value in reference.items():
        group, _, rest = key.partition('.')
        if group in ('backbone', 'neck'):
            source[f"encoder_q.{0 if group == 'backbone' else 1}.{rest}"] = value
            if group in aliases:
                source[key] = value
        elif key.startswith('encoder_k.module.'):
            source['encoder_k.' + key[len('encoder_k.module.') :]] = value
        elif key != 'encoder_k.steps':  # OpenSelfSup has no EMA step counter
            source[key] = value
    return source


def backbone_of(reference: StateDict) -> StateDict:
    """The torchvision-named backbone weights."""
    return {
        key[len('backbone.') :]: value
        for key, value in reference.items()
        if key.startswith('backbone.')
    }


def assert_loads_exactly(
    model: torch.nn.Module, state_dict: StateDict, expected: StateDict
) -> None:
    """``state_dict`` loads with ``strict=True`` and the model then holds ``expected``."""
    for value in model.state_dict().values():
        value.zero_()
    model.load_state_dict(state_dict, strict=True)
    assert_holds(model, expected)


def assert_holds(model: torch.nn.Module, expected: StateDict) -> None:
    """The state of ``model`` is exactly ``expected`` (keys, dtypes and values)."""
    loaded = model.state_dict()
    assert set(loaded) == set(expected)
    for key, value in expected.items():
        assert loaded[key].dtype == value.dtype, key
        assert torch.equal(loaded[key], value), key


def read(tool, checkpoint) -> StateDict:
    return tool.strip_ddp_prefix(tool.extract_state_dict(checkpoint))


@pytest.mark.parametrize(
    'aliases, ddp',
    [((), False), (('backbone',), True), (('backbone', 'neck'), False)],
    ids=['no-alias', 'densecl-ddp', 'mmselfsup0'],
)
def test_openselfsup_full_checkpoint(tool, densecl, aliases, ddp):
    model, reference = densecl
    source = to_openselfsup(reference, aliases)
    if ddp:
        source = {'module.' + key: value for key, value in source.items()}
    state_dict = read(tool, {'state_dict': source, 'meta': {'epoch': 200}})
    assert tool.detect_format(state_dict) == 'openselfsup'
    converted = tool.convert(state_dict, 'openselfsup')
    assert not converted.backbone_only
    fresh_steps = ExponentialMovingAverage(torch.nn.Linear(1, 1)).steps
    steps = converted.state_dict['encoder_k.steps']
    assert steps.dtype == fresh_steps.dtype and steps.shape == fresh_steps.shape == ()
    assert steps.item() == 1  # > 0: the EMA keeps the converted momentum encoder
    assert any('encoder_k.steps' in note for note in converted.notes)
    assert_loads_exactly(model, converted.state_dict, dict(reference, **{'encoder_k.steps': steps}))


def test_openselfsup_alias_must_equal_encoder_q(tool, densecl):
    _, reference = densecl
    source = to_openselfsup(reference, ('backbone',))
    source['backbone.conv1.weight'] = source['backbone.conv1.weight'] + 1
    with pytest.raises(tool.ConversionError, match=r'alias[\s\S]*backbone\.conv1\.weight'):
        tool.convert(source, 'openselfsup')


def test_mmengine_checkpoint_is_read_weights_only_and_keeps_only_the_state_dict(
    tool, densecl, tmp_path
):
    model, reference = densecl
    path = str(tmp_path / 'epoch_3.pth')
    torch.save(
        {
            'meta': {'epoch': 3, 'iter': 120, 'mmengine_version': '0.10.7', 'seed': 0},
            'state_dict': reference,
            'message_hub': {
                'log_scalars': {'train/loss': HistoryBuffer([2.0, 1.5], [1, 1])},
                'runtime_info': {'epoch': 3, 'iter': 120},
                'resumed_keys': {},
            },
            'optimizer': {'state': {}, 'param_groups': [{'lr': 0.03, 'params': [0]}]},
        },
        path,
    )
    checkpoint = tool.load_source(path)  # mmengine's own objects need no trust
    assert isinstance(checkpoint['message_hub']['log_scalars']['train/loss'], HistoryBuffer)
    state_dict = read(tool, checkpoint)
    assert tool.detect_format(state_dict) == 'mmpretrain'
    converted = tool.convert(state_dict, 'mmpretrain')
    assert not converted.backbone_only and converted.notes == []  # steps kept, not created
    assert_loads_exactly(model, converted.state_dict, reference)


@pytest.mark.parametrize(
    'wrapped, with_fc', [(False, True), (True, False)], ids=['bare-with-fc', 'wrapped-no-fc']
)
def test_torchvision_backbone_only(tool, densecl, tmp_path, capsys, wrapped, with_fc):
    _, reference = densecl
    source = backbone_of(reference)
    if with_fc:
        source.update({'fc.weight': torch.randn(1000, 512), 'fc.bias': torch.randn(1000)})
    src, dst = str(tmp_path / 'densecl_r18_tv.pth'), str(tmp_path / 'converted.pth')
    torch.save({'state_dict': source} if wrapped else source, src)

    tool.main([src, dst, '--config', CONFIG])
    assert 'format torchvision' in capsys.readouterr().out
    output = torch.load(dst, weights_only=True)
    assert output['meta'] == {
        'converted_from': 'torchvision',
        'backbone_only': True,
        'source': osp.abspath(src),
    }
    assert set(output['state_dict']) == {key for key in reference if key.startswith('backbone.')}

    backbone = MODELS.build(
        dict(
            type='mmpretrain.ResNet',
            depth=18,
            out_indices=[3],
            init_cfg=dict(type='Pretrained', checkpoint=dst, prefix='backbone.'),
        )
    )
    backbone.init_weights()
    assert_holds(backbone, backbone_of(reference))


def test_cli_converts_a_ddp_openselfsup_checkpoint_checked_against_the_config(
    tool, densecl, tmp_path, python
):
    model, reference = densecl
    source = {
        'module.' + key: value for key, value in to_openselfsup(reference, ('backbone',)).items()
    }
    src, dst = str(tmp_path / 'densecl_r18_200ep.pth'), str(tmp_path / 'converted.pth')
    torch.save({'state_dict': source}, src)
    result = subprocess.run(
        [python, TOOL, src, dst, '--config', CONFIG],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    summary = result.stdout.strip().splitlines()[-1]
    assert f'format openselfsup, {len(reference)} tensors, full DenseCL' in summary
    output = torch.load(dst, weights_only=True)
    assert output['meta'] == {
        'converted_from': 'openselfsup',
        'backbone_only': False,
        'source': src,
    }
    steps = torch.tensor(1)  # created non-zero so the EMA keeps the converted key encoder
    assert_loads_exactly(model, output['state_dict'], dict(reference, **{'encoder_k.steps': steps}))


def test_unrecognised_keys_are_refused(tool, capsys, tmp_path):
    state_dict = {'encoder.blocks.0.attn.qkv.weight': torch.zeros(1), 'cls_token': torch.zeros(1)}
    with pytest.raises(
        tool.ConversionError, match=r'unrecognised checkpoint[\s\S]*encoder\.blocks\.0\.attn\.qkv'
    ):
        tool.detect_format(state_dict)
    src = str(tmp_path / 'vit.pth')
    torch.save(state_dict, src)
    with pytest.raises(SystemExit, match='error: unrecognised checkpoint'):
        tool.main([src, str(tmp_path / 'out.pth')])
    assert not (tmp_path / 'out.pth').exists()


def test_forced_format_must_fit_the_keys(tool, densecl, tmp_path):
    _, reference = densecl
    src = str(tmp_path / 'densecl.pth')
    torch.save({'state_dict': to_openselfsup(reference)}, src)
    with pytest.raises(
        SystemExit,
        match=r'not torchvision ResNet weights: unexpected keys '
        r'.*encoder_q\.0\.conv1\.weight',
    ):
        tool.main([src, str(tmp_path / 'out.pth'), '--src-format', 'torchvision'])
    with pytest.raises(tool.ConversionError, match='outside the mmpretrain DenseCL layout'):
        tool.convert(to_openselfsup(reference), 'mmpretrain')


def test_non_densecl_checkpoint_is_refused(tool, densecl):
    """A MoCo v2-like checkpoint (no dense queue) is not converted as a DenseCL one."""
    _, reference = densecl
    source = {
        key: value
        for key, value in to_openselfsup(reference).items()
        if not key.startswith('queue2')
    }
    with pytest.raises(tool.ConversionError, match=r'not a DenseCL checkpoint.*queue2'):
        tool.convert(source, 'openselfsup')


@pytest.mark.parametrize(
    'override, expected',
    [
        (
            'model = dict(backbone=dict(depth=34))',
            r'missing in the checkpoint: backbone\.layer1\.2\.[\s\S]*more\)[\s\S]*'
            r'likely cause: the '
            r'backbone differs \(e\.g\. ResNet depth',
        ),
        (
            'model = dict(neck=dict(hid_channels=32))',
            r'shape mismatch: encoder_k\.module\.1\.mlp\.0\.bias '
            r'\(checkpoint \(64,\), model \(32,\)\)'
            r'[\s\S]*neck\.mlp\.0\.weight \(checkpoint \(64, 512\), model \(32, 512\)\)'
            r'[\s\S]*likely cause: the neck widths differ',
        ),
    ],
    ids=['depth-34', 'neck-width'],
)
def test_config_mismatch_names_keys_and_cause(tool, densecl, tmp_path, override, expected):
    _, reference = densecl
    config = tmp_path / 'other.py'
    config.write_text(f'_base_ = {CONFIG!r}\n{override}\n')
    converted = tool.convert(to_openselfsup(reference), 'openselfsup')
    with pytest.raises(tool.ConversionError, match=expected):
        tool.check_against(converted.state_dict, tool.expected_shapes(str(config)), False)


def test_full_checkpoint_against_a_model_without_densecl_parts(tool, densecl):
    """E.g. a classifier config: only its backbone matches a full DenseCL checkpoint."""
    _, reference = densecl
    classifier = {
        key: value.shape for key, value in reference.items() if key.startswith('backbone.')
    }
    converted = tool.convert(to_openselfsup(reference), 'openselfsup')
    cause = "likely cause: the config's model has no momentum encoder, neck, queues: is it a"
    with pytest.raises(
        tool.ConversionError, match=r'not in the model: encoder_k\.module\.0\.[\s\S]*' + cause
    ):
        tool.check_against(converted.state_dict, classifier, backbone_only=False)
    tool.check_against(
        tool.convert(backbone_of(reference), 'torchvision').state_dict,
        classifier,
        backbone_only=True,
    )
