# Copyright (c) constcl_mm authors. All rights reserved.
"""Console entry points run the packaged tools; TensorBoard logging works
through mmengine's TensorboardVisBackend (requirements/optional.txt)."""
import glob
import os.path as osp

import pytest

from constcl_mm import cli, mim


def test_every_entry_point_names_an_existing_tool():
    setup = open(
        osp.join(osp.dirname(mim.mim_root()), 'setup.py'
                 ) if not mim.mim_root().endswith('.mim') else osp.
        join(osp.dirname(osp.dirname(mim.mim_root())), 'setup.py')).read()
    for script, tool in cli.TOOLS.items():
        assert osp.isfile(mim.tool_path(tool)), tool
        assert f"'{script} = constcl_mm.cli:" in setup, script
    with pytest.raises(SystemExit) as exit_info:
        cli.run_tool(cli.TOOLS['constcl-check-videos'], ['-h'])
    assert exit_info.value.code == 0


def test_config_names_resolve(capsys):
    cli.print_config_path(['constcl_mm::constcl/pretrain.py'])
    assert capsys.readouterr().out.strip().endswith(
        osp.join('configs', 'constcl', 'pretrain.py'))
    with pytest.raises(FileNotFoundError, match='has no config'):
        mim.config_path('constcl/nope.py')
    table = {}
    mim.register_config_package(table)
    assert table == {'constcl_mm': 'constcl_mm'}


def test_bad_video_error_names_the_installed_tool():
    src = open(
        osp.join(osp.dirname(mim.__file__), 'datasets',
                 'skip_bad_videos.py')).read()
    assert 'constcl-check-videos' in src and 'constcl-check-videos' in \
        cli.TOOLS


def test_tensorboard_backend_logs_scalars(tmp_path):
    from mmengine.visualization import TensorboardVisBackend
    backend = TensorboardVisBackend(save_dir=str(tmp_path))
    for step in range(3):
        backend.add_scalars(dict(loss=1.0 / (step + 1), lr=0.1), step=step)
    backend.close()
    events = glob.glob(str(tmp_path / 'events.out.tfevents.*'))
    assert events
    from tensorboard.backend.event_processing.event_accumulator import \
        EventAccumulator
    acc = EventAccumulator(osp.dirname(events[0]))
    acc.Reload()
    assert [e.value
            for e in acc.Scalars('loss')] == pytest.approx([1.0, 0.5, 1 / 3])
