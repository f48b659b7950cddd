# Copyright (c) constcl_mm authors. All rights reserved.
"""tools/analysis/draw_model.py reads the config's model (both views, the Y
backbone, the context decoder, both losses); the README shows the three
pictures with the commands that draw them, each PNG committed and small."""
import glob
import os.path as osp
import re
import runpy

import matplotlib.image as mpimg
import pytest
from helpers.paths import REPO_ROOT
from mmengine.config import Config

TOOL = osp.join(REPO_ROOT, 'tools', 'analysis', 'draw_model.py')
CONFIGS = osp.join(REPO_ROOT, 'configs', 'constcl')


@pytest.fixture(scope='module')
def tool():
    return runpy.run_path(TOOL)


def test_summary_follows_the_config(tool, tmp_path):
    cfg = Config.fromfile(osp.join(CONFIGS, 'pretrain.py'))
    s = tool['model_summary'](cfg)
    assert s['views'] == '16 frames (stride 2) at 224x224'
    assert s['backbone'].startswith('ResNet3dY-50')
    assert 'T = 0.1' in s['global_loss'] and 'T = 0.2' in s['local_loss']
    assert 'weight 0.001' in s['local_loss']
    assert 'context: 5 feature frames' in s['decoder']
    assert '3 layers x 3 heads, width 128' in s['decoder']
    assert '8 random boxes' in s['decoder']
    cfg.model.neck.context_length = 3
    cfg.train_dataloader.dataset.pipeline[5].box_type = 'slic'
    s = tool['model_summary'](cfg)
    assert 'context: 3' in s['decoder'] and 'slic' in s['decoder']
    out = str(tmp_path / 'm.png')
    tool['draw_model'](s, out, 'pretrain.py')
    assert mpimg.imread(out).shape[1] > 800
    cvrl, = glob.glob(osp.join(CONFIGS, 'cvrl_*.py'))
    s = tool['model_summary'](Config.fromfile(cvrl))
    assert s['has_local'] is False and 'decoder' not in s
    tool['draw_model'](s, out)
    with pytest.raises(KeyError, match='model.global_head'):
        tool['model_summary'](Config(dict(model=dict(type='X'))))


def test_readme_shows_the_three_pictures_and_their_commands():
    readme = open(osp.join(REPO_ROOT, 'README.md')).read()
    for png, command in (('model.png', 'tools/analysis/draw_model.py'),
                         ('demo_curves.png', 'tools/analysis/plot_curves.py'),
                         ('views.png', 'tools/visualize_views.py')):
        assert f'](docs/images/{png})' in readme, png
        assert re.search(
            rf'{re.escape(command)} [^`]*--out '
            rf'docs/images/{png}', readme), png
        path = osp.join(REPO_ROOT, 'docs', 'images', png)
        assert osp.getsize(path) < 300_000, png
        assert mpimg.imread(path).shape[0] > 200
