# Copyright (c) constcl_mm authors. All rights reserved.
"""tools/analysis/plot_curves.py on a generated scalars.json and on the
scalars of a real (2-iteration) mmengine run."""
import json
import os.path as osp
import runpy

import matplotlib.image as mpimg
import pytest
from helpers.paths import REPO_ROOT
from mmengine.visualization import LocalVisBackend

TOOL = osp.join(REPO_ROOT, 'tools', 'analysis', 'plot_curves.py')


@pytest.fixture(scope='module')
def plot():
    return runpy.run_path(TOOL)


def _write(path, rows):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(''.join(json.dumps(r) + '\n' for r in rows))
    return str(path)


def test_generated_scalars_give_three_panels(plot, tmp_path):
    rows = [
        dict(
            lr=0.1 / (i + 1),
            loss=2.0 - 0.1 * i,
            loss_cls=1.0,
            data_time=0.1,
            step=i + 1) for i in range(10)
    ]
    rows.append({'acc/top1': 0.5, 'acc/mean1': 0.4, 'step': 1})
    work = tmp_path / 'run'
    _write(work / '20260101_000000' / 'vis_data' / 'scalars.json', rows)
    series = plot['load_scalars'](plot['find_scalars'](str(work)))
    assert series['loss'][1][:2] == [2.0, 1.9]
    assert 'data_time' not in series
    out = str(tmp_path / 'c.png')
    assert plot['plot_runs']([('run', series)],
                             out) == ['loss', 'accuracy', 'learning rate']
    assert mpimg.imread(out).shape[1] > 600


def test_bad_line_and_missing_folder_are_named(plot, tmp_path):
    path = tmp_path / 'scalars.json'
    path.write_text('{"loss": 1, "step": 1}\nnot json\n')
    with pytest.raises(ValueError, match=r'scalars.json:2: not JSON'):
        plot['load_scalars'](str(path))
    with pytest.raises(FileNotFoundError, match='no scalars.json under'):
        plot['find_scalars'](str(tmp_path / 'nothing'))
    with pytest.raises(ValueError, match='no loss, accuracy or lr keys'):
        plot['plot_runs']([('r', {
            'memory': ([1], [2.0])
        })], str(tmp_path / 'x.png'))


def test_scalars_written_by_mmengine(plot, tmp_path):
    backend = LocalVisBackend(save_dir=str(tmp_path / 'vis_data'))
    for step in (1, 2):
        backend.add_scalars(
            dict(loss=1.0 / step, lr=0.01, global_acc=0.1 * step), step=step)
    backend.close()
    series = plot['load_scalars'](plot['find_scalars'](str(tmp_path)))
    assert series['global_acc'] == ([1, 2], [0.1, 0.2])
    out = str(tmp_path / 'c.png')
    assert plot['plot_runs']([('a', series), ('b', series)], out)
    assert osp.getsize(out) > 1000


def test_named_keys_outside_the_groups_get_a_panel(plot, tmp_path):
    series = {
        'loss_global': ([1, 2], [5.0, 4.0]),
        'local_pos_sim': ([1, 2], [0.1, 0.6]),
        'local_neg_sim': ([1, 2], [0.0, 0.0]),
    }
    out = str(tmp_path / 'c.png')
    # unnamed, they are not drawn; named, they get the `other` panel
    assert plot['plot_runs']([('r', series)], out) == ['loss']
    assert plot['plot_runs']([('r', series)], out,
                             ['loss_global', 'local_']) == ['loss', 'other']
