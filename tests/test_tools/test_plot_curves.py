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
    series = plot['load_run'](str(work))
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
    series = plot['load_run'](str(tmp_path))
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
    assert plot['plot_runs']([('r', series)],
                             out, ['loss_global', 'local_'],
                             prefix=True) == ['loss', 'other']


def test_resumed_run_is_joined_by_step(plot, tmp_path):
    """A resume from iter 4 after a run that logged to step 6: steps 1-4
    of the first run, 5-8 of the second (its 5 and 6 replace the first's)."""
    work = tmp_path / 'run'
    _write(work / '20260101_000000' / 'vis_data' / 'scalars.json',
           [dict(loss=10.0 + i, step=i) for i in range(1, 7)])
    _write(work / '20260101_010000' / 'vis_data' / 'scalars.json',
           [dict(loss=20.0 + i, step=i) for i in range(5, 9)])
    steps, values = plot['load_run'](str(work))['loss']
    assert steps == list(range(1, 9))
    assert values == [11.0, 12.0, 13.0, 14.0, 25.0, 26.0, 27.0, 28.0]


def _legend_and_axes_boxes(plot, series, keys, prefix, out):
    """Runs plot_runs and returns the drawn figure's (axes, legend) boxes
    and legend texts per panel."""
    import matplotlib.figure
    figs = []
    save = matplotlib.figure.Figure.savefig

    def keep(fig, *args, **kwargs):
        result = save(fig, *args, **kwargs)
        renderer = fig.canvas.get_renderer()
        figs.append([(ax.get_window_extent(renderer),
                      ax.get_legend().get_window_extent(renderer),
                      [t.get_text() for t in ax.get_legend().get_texts()])
                     for ax in fig.axes])
        return result

    matplotlib.figure.Figure.savefig = keep
    try:
        plot['plot_runs']([('r', series)], out, keys, prefix=prefix)
    finally:
        matplotlib.figure.Figure.savefig = save
    return figs[0]


def test_exact_keys_prefix_opt_in_and_legends_off_the_axes(plot, tmp_path):
    series = {
        'loss_global': ([1, 2], [5.0, 4.0]),
        'local_pos_sim': ([1, 2], [0.1, 0.6]),
        'local_pos_sim_min': ([1, 2], [0.0, 0.5]),
        'local_pos_sim_max': ([1, 2], [0.2, 0.7]),
    }
    out = str(tmp_path / 'c.png')
    panels = _legend_and_axes_boxes(plot, series, ['local_pos_sim'], False,
                                    out)
    assert [texts for _, _, texts in panels] == [['local_pos_sim']]
    panels = _legend_and_axes_boxes(plot, series, ['local_pos_sim'], True, out)
    assert [sorted(texts) for _, _, texts in panels
            ] == [['local_pos_sim', 'local_pos_sim_max', 'local_pos_sim_min']]
    for axes_box, legend_box, _ in panels:
        assert not axes_box.overlaps(legend_box)
        assert legend_box.y1 <= axes_box.y0
    with pytest.raises(ValueError, match=r"among \['local_pos'\]"):
        plot['plot_runs']([('r', series)], out, ['local_pos'])


def test_command_line_on_a_resumed_work_dir(plot, tmp_path, capsys):
    work = tmp_path / 'run'
    for stamp, start in (('20260101_000000', 1), ('20260102_000000', 3)):
        _write(work / stamp / 'vis_data' / 'scalars.json', [
            dict(loss=1.0 / i, lr=0.1, step=i)
            for i in range(start, start + 3)
        ])
    out = tmp_path / 'c.png'
    plot['main']([str(work), '--keys', 'loss', 'lr', 'acc', '--out', str(out)])
    printed = capsys.readouterr().out
    assert "not in any run: ['acc']" in printed
    assert f'wrote {out} (loss, learning rate)' in printed
    assert mpimg.imread(str(out)).shape[0] > 200
