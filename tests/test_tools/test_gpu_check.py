"""tools/analysis_tools/gpu_check.py: the CPU smoke run covers every step of the GPU check."""

import json
import subprocess

from tests.conftest import REPO_ROOT, load_script


def test_quick_cpu_run_measures_every_model_and_writes_the_report(python, tmp_path):
    out = tmp_path / 'check'
    subprocess.run(
        [
            python,
            'tools/analysis_tools/gpu_check.py',
            '--device',
            'cpu',
            '--quick',
            '--skip-tests',
            '--out-dir',
            str(out),
        ],
        cwd=REPO_ROOT,
        check=True,
        capture_output=True,
        timeout=600,
    )
    report = json.loads((out / 'gpu_check.json').read_text())
    tool = load_script('tools/analysis_tools/gpu_check.py')
    rows = report['training']
    assert {(r['model'], r['precision'], r['channels_last']) for r in rows} == {
        (model, precision, channels_last)
        for model in tool.MODELS
        for precision, channels_last in (('fp32', False), ('bf16', True))
    }
    assert all(r['finite'] and r['img_per_s'] > 0 for r in rows)
    for row in rows:
        if tool.MODELS[row['model']][1]:
            assert row['time_ratio_to_peer'] > 0, row
    assert [t['target'] for t in report['targets']] == [t[0] for t in tool.TARGETS]
    # the op benchmarks ran every variant, with errors against float64
    variants = {row['impl'] for run in report['ops'] for row in run['rows']}
    assert {'pytorch', 'cpu', 'auto', 'reference', 'upcast'} <= variants
    assert all('error_vs_float64' in row for run in report['ops'] for row in run['rows'])
    assert {row['pipeline'] for row in report['data_loading']} == set(
        load_script('tools/analysis_tools/benchmark_data.py').PIPELINES
    )
    table = (out / 'gpu_check.md').read_text()
    assert '| pixpro | bf16 | True |' in table and 'PixPro step <= x1.10 of BYOL' in table


def test_the_test_selection_runs_the_ops_and_the_devices_amp_cases(python):
    tool = load_script('tools/analysis_tools/gpu_check.py')
    cmd = tool.test_command('cuda') + ['--collect-only']
    ids = subprocess.run(
        cmd, cwd=REPO_ROOT, capture_output=True, text=True, timeout=300
    ).stdout.splitlines()
    autocast = [i for i in ids if 'test_autocast.py' in i]
    assert autocast and all('cuda' in i for i in autocast)
    assert any('test_ops/test_pixel_propagation.py' in i for i in ids)
    assert not any('test_cuda_compile' in i for i in ids)
