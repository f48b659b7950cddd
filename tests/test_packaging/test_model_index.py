# Copyright (c) constcl_mm authors. All rights reserved.
"""model-index.yml lists a metafile per config folder; each metafile names
every config of its folder, and only existing ones."""
import glob
import os.path as osp

import yaml
from helpers.paths import REPO_ROOT


def test_model_index_covers_every_config():
    index = yaml.safe_load(open(osp.join(REPO_ROOT, 'model-index.yml')))
    listed = set()
    for meta in index['Import']:
        path = osp.join(REPO_ROOT, meta)
        folder = osp.dirname(path)
        assert osp.isfile(osp.join(folder, 'README.md')), folder
        for model in yaml.safe_load(open(path))['Models']:
            assert osp.isfile(osp.join(REPO_ROOT, model['Config'])), model
            assert model['Results'][0]['Metrics'], model['Name']
            listed.add(model['Config'])
    configs = {
        osp.relpath(p, REPO_ROOT)
        for p in glob.glob(
            osp.join(REPO_ROOT, 'configs', '**', '*.py'), recursive=True)
        if '_base_' not in p
    }
    assert configs - listed == set(), 'configs missing from a metafile'
