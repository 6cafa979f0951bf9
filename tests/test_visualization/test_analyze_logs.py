"""analyze_logs.py plot_curve over real mmengine json logs of the demo runs."""

import json
import os.path as osp
import subprocess
import sys

import pytest

from mmpcd.visualization import curves, load_train_scalars

from .helpers import DATA, REPO_ROOT, assert_png, doc_commands, in_work_dir, load_tool

PIXPRO_LOG = osp.join(DATA, 'pixpro_demo_scalars.json')
DENSECL_LOG = osp.join(DATA, 'densecl_demo_scalars.json')


def test_doc_command_draws_one_panel_per_key(demo_work_dirs):
    argv = in_work_dir(doc_commands('analyze_logs.py')[0], demo_work_dirs)
    load_tool('analyze_logs.py').main(argv + ['--panel', '320', '120'])
    assert_png(f'{demo_work_dirs}/vis/curves.png', 4 * (120 + 24), 320)  # 4 keys


def test_curves_are_the_logged_values_against_the_iteration():
    with open(DENSECL_LOG) as f:
        rows = [json.loads(line) for line in f]
    data = curves(
        {'densecl': load_train_scalars(DENSECL_LOG), 'pixpro': load_train_scalars(PIXPRO_LOG)},
        ['loss_dense', 'lr'],
    )
    assert data['loss_dense'] == {
        'densecl': ([row['step'] for row in rows], [row['loss_dense'] for row in rows])
    }
    assert set(data['lr']) == {'densecl', 'pixpro'}


def test_a_key_no_log_has_stops_with_the_keys_there_are(tmp_path):
    with pytest.raises(SystemExit, match="'loss_dense'.*loss_pixpro"):
        load_tool('analyze_logs.py').main(
            [
                'plot_curve',
                PIXPRO_LOG,
                '--keys',
                'loss',
                'loss_dense',
                '--out',
                str(tmp_path / 'c.png'),
            ]
        )


def test_the_text_log_is_refused_with_the_file_to_use(tmp_path):
    text_log = tmp_path / '20261122_184453.log'
    text_log.write_text('11/22 18:44:56 - mmengine - INFO - Epoch(train) [2][2/2] lr: 3e-02\n')
    with pytest.raises(ValueError, match='vis_data'):
        load_train_scalars(str(text_log))


def test_runs_as_a_script(tmp_path):
    out = tmp_path / 'curves.png'
    subprocess.run(
        [
            sys.executable,
            'tools/analysis_tools/analyze_logs.py',
            'plot_curve',
            PIXPRO_LOG,
            '--keys',
            'loss',
            '--out',
            str(out),
            '--panel',
            '200',
            '100',
        ],
        cwd=REPO_ROOT,
        check=True,
        capture_output=True,
        timeout=120,
    )
    assert_png(str(out), 124, 200)


def test_cal_train_time_prints_the_mean_seconds_per_iteration(capsys):
    with open(DENSECL_LOG) as f:
        times = [json.loads(line)['time'] for line in f]
    load_tool('analyze_logs.py').main(['cal_train_time', DENSECL_LOG])
    out = capsys.readouterr().out
    mean = sum(times[1:]) / len(times[1:])  # the first row (start-up) is left out
    assert f'average iter time: {mean:.4f} s/iter ({len(times) - 1} logged rows' in out
    assert 'slowest epoch' in out and 'fastest epoch' in out
