# Copyright (c) constcl_mm authors. All rights reserved.
"""Proposal and result pickles never run code (issue 25)."""
import os
import os.path as osp
import pickle
import re
import runpy

import numpy as np
import pytest
import torch
from helpers.detection import ava_fixture, ava_fixture_dataset
from helpers.paths import REPO_ROOT

from constcl_mm.datasets.ava_kinetics_dataset import MixedAVAKineticsDataset
from constcl_mm.datasets.transforms import ProposalRegionBoxes
from constcl_mm.utils.safe_pickle import (UnsafePickleError, load_data_file,
                                          load_data_pickle)


class ShellPayload:
    """Unpickling it runs ``touch MARKER`` through the shell."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f'touch {self.marker}', ))


class OpenPayload(ShellPayload):
    """Unpickling it creates MARKER with ``builtins.open``."""

    def __reduce__(self):
        return (open, (self.marker, 'w'))


class ExecPayload(ShellPayload):

    def __reduce__(self):
        return (exec, (f'open({self.marker!r}, "w").close()', ))


PAYLOADS = [(ShellPayload, r'(posix|nt)\.system'),
            (OpenPayload, r'(__builtin__|builtins|io|_io)\.open'),
            (ExecPayload, r'(__builtin__|builtins)\.exec')]


def crafted(tmp_path, payload, wrap, protocol=2):
    """A pickle of ``wrap(payload)`` and the marker it would create."""
    marker = tmp_path / 'marker'
    path = tmp_path / 'proposals.pkl'
    with open(path, 'wb') as f:
        pickle.dump(wrap(payload(str(marker))), f, protocol=protocol)
    return str(path), marker


def assert_refused(err, path, marker, refused):
    text = str(err.value)
    assert path in text, text
    assert re.search(refused, text), text
    assert not marker.exists(), 'the pickle ran code'


AVA_COMMON = ava_fixture_dataset()


@pytest.mark.parametrize('payload,refused', PAYLOADS)
@pytest.mark.parametrize('protocol', [2, 5])
def test_ava_proposal_file_is_refused_not_run(tmp_path, payload, refused,
                                              protocol):
    path, marker = crafted(tmp_path, payload,
                           lambda p: {'0f39OWEqJ24,0902': p}, protocol)
    with pytest.raises(UnsafePickleError) as err:
        MixedAVAKineticsDataset(proposal_file=path, **AVA_COMMON)
    assert_refused(err, path, marker, refused)


@pytest.mark.parametrize('payload,refused', PAYLOADS)
def test_proposal_region_boxes_file_is_refused_not_run(tmp_path, payload,
                                                       refused):
    path, marker = crafted(tmp_path, payload, lambda p: {'clip.mp4': {0: p}})
    with pytest.raises(UnsafePickleError) as err:
        ProposalRegionBoxes(proposal_file=path)
    assert_refused(err, path, marker, refused)


def test_result_dump_is_refused_not_run(tmp_path):
    tool = runpy.run_path(
        osp.join(REPO_ROOT, 'tools', 'analysis', 'draw_ava_detections.py'))
    path, marker = crafted(tmp_path, ShellPayload, lambda p: [p])
    with pytest.raises(UnsafePickleError) as err:
        tool['load_detections'](path)
    assert_refused(err, path, marker, r'(posix|nt)\.system')


def test_tensor_mode_still_refuses_code(tmp_path):
    path, marker = crafted(tmp_path, ExecPayload, lambda p: {
        't': torch.ones(2),
        'x': p
    })
    with pytest.raises(UnsafePickleError) as err:
        load_data_pickle(path, allow_tensors=True)
    assert_refused(err, path, marker, r'(__builtin__|builtins)\.exec')
    # without allow_tensors a tensor itself is refused by name
    with pytest.raises(UnsafePickleError, match='torch._utils'):
        load_data_pickle(path)


@pytest.mark.parametrize('protocol', [2, 4, 5])
def test_legit_proposal_pickles_load_identically(tmp_path, protocol):
    rng = np.random.default_rng(0)
    content = {
        f'vid{i},{902 + i:04d}': rng.random((i + 1, 5)).astype(np.float32)
        for i in range(4)
    }
    content['empty,0906'] = np.zeros((0, 5), np.float32)
    content['scalar'] = [
        np.float64(0.5),
        np.int64(3), 1.5, True, None, ('a', 2)
    ]
    path = tmp_path / 'props.pkl'
    with open(path, 'wb') as f:
        pickle.dump(content, f, protocol=protocol)
    with open(path, 'rb') as f:
        expected = pickle.load(f)
    loaded = load_data_pickle(str(path))
    assert loaded.keys() == expected.keys()
    for key in expected:
        if isinstance(expected[key], np.ndarray):
            assert loaded[key].dtype == np.float32
            np.testing.assert_array_equal(loaded[key], expected[key])
    assert loaded['scalar'] == expected['scalar']


def test_mmaction2_proposal_fixtures_load_identically():
    for path in (ava_fixture('ava_proposals_sample.pkl'),
                 osp.join(
                     osp.dirname(ava_fixture()), '..', 'eval_detection',
                     'proposal.pkl')):
        with open(path, 'rb') as f:
            expected = pickle.load(f)
        loaded = load_data_pickle(path)
        assert loaded.keys() == expected.keys()
        for key in expected:
            np.testing.assert_array_equal(loaded[key], expected[key])
    # and the dataset still reads them (the stock AVA path)
    dataset = MixedAVAKineticsDataset(
        proposal_file=ava_fixture('ava_proposals_sample.pkl'), **AVA_COMMON)
    assert len(dataset.proposals) > 0


def test_legit_region_proposals_still_work(tmp_path):
    path = tmp_path / 'boxes.pkl'
    boxes = np.array([[0.1, 0.1, 0.6, 0.7, 0.9]], np.float32)
    with open(path, 'wb') as f:
        pickle.dump({'clip.mp4': {0: boxes, 8: boxes}}, f)
    transform = ProposalRegionBoxes(proposal_file=str(path))
    frames, per_frame = transform._frames('clip.mp4')
    assert frames.tolist() == [0, 8]
    np.testing.assert_array_equal(per_frame[0], boxes)


def test_tensors_of_a_dump_load_with_the_weights_only_loader(tmp_path):
    path = tmp_path / 'det.pkl'
    dump = [
        dict(
            img_key='v,0902',
            pred_instances=dict(
                bboxes=torch.rand(3, 4), scores=torch.rand(3, 81)))
    ]
    with open(path, 'wb') as f:
        pickle.dump(dump, f)
    loaded = load_data_pickle(str(path), allow_tensors=True)
    torch.testing.assert_close(loaded[0]['pred_instances']['scores'],
                               dump[0]['pred_instances']['scores'])


def test_yaml_and_other_formats_are_refused(tmp_path):
    path = tmp_path / 'boxes.yaml'
    path.write_text('!!python/object/apply:os.system ["true"]\n')
    with pytest.raises(ValueError, match=r"boxes.yaml.*'\.yaml'"):
        load_data_file(str(path))
    with pytest.raises(ValueError, match='boxes.yaml'):
        ProposalRegionBoxes(proposal_file=str(path))


def test_truncated_pickle_names_the_file(tmp_path):
    path = tmp_path / 'cut.pkl'
    data = pickle.dumps({'a': np.zeros((50, 4))})
    path.write_bytes(data[:len(data) // 2])
    with pytest.raises(pickle.UnpicklingError, match='cut.pkl'):
        load_data_pickle(str(path))


# every way of reading a pickle that can run code; the safe ones live in
# constcl_mm/utils/safe_pickle.py and constcl_mm/compat.py
UNSAFE = re.compile(
    r'pickle\.loads?\(|\bUnpickler\(|mmengine\.load\(|'
    r'fileio\.load\(|from mmengine(\.fileio)? import .*\bload\b|'
    r'allow_pickle=True|weights_only=False|'
    r'torch\.load\((?![^)]*weights_only=True)')


def test_no_unsafe_loader_in_the_package_or_tools():
    hits = []
    for top in ('constcl_mm', 'tools'):
        for folder, _, names in os.walk(osp.join(REPO_ROOT, top)):
            for name in names:
                if not name.endswith('.py'):
                    continue
                path = osp.join(folder, name)
                rel = osp.relpath(path, REPO_ROOT)
                if rel in ('constcl_mm/utils/safe_pickle.py',
                           'constcl_mm/compat.py'):
                    continue
                with open(path, encoding='utf-8') as f:
                    for lineno, line in enumerate(f, 1):
                        if UNSAFE.search(line.split('#')[0]):
                            hits.append(f'{rel}:{lineno}: {line.strip()}')
    assert not hits, '\n'.join(hits)
