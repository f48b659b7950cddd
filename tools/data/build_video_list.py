# Copyright (c) constcl_mm authors. All rights reserved.
"""Builds a ``path [label]`` video list for two-view pretraining.

Two sources:

* a **folder tree** ``ROOT/<class>/<video>.<ext>`` (any depth below the
  class folder; videos directly in ``ROOT`` get no label). Labels are the
  0-based class index in ``--label-map`` order (one class per line; folder
  names may use ``_`` where the map has spaces) or, without a map,
  alphabetical. Paths are written relative to ``ROOT``, which becomes the
  dataset's ``data_prefix``;
* a **Kinetics csv** (``label,youtube_id,time_start,time_end,split``):
  paths ``<class_dir>/<youtube_id>_<start:06d>_<end:06d>.mp4`` as
  ``tools/data/kinetics/kinetics_lists.py`` names them (``--flat`` for no
  class folders). With ``--video-root`` the list keeps only the videos found
  there, whatever their extension (``.mp4``, ``.mkv``, ``.webm``...), and the
  missing ones are counted.

``--no-labels`` writes paths only (labels are unused by pretraining).

Examples::

    python tools/data/build_video_list.py data/kinetics400/videos_train \
        data/kinetics400/kinetics400_train_list_videos.txt \
        --label-map label_map_k400.txt
    python tools/data/build_video_list.py \
        data/kinetics400/annotations/kinetics_train.csv \
        data/kinetics400/kinetics400_train_list_videos.txt \
        --video-root data/kinetics400/videos_train
"""
import argparse
import importlib.util
import os
import os.path as osp
import sys
from typing import Dict, List, Optional, Sequence, Tuple

VIDEO_EXTS = ('.mp4', '.avi', '.mkv', '.webm', '.mov', '.m4v', '.flv', '.mpg',
              '.mpeg', '.wmv', '.3gp')
Entry = Tuple[str, int]


def kinetics_lists():
    """The Kinetics csv helpers of tools/data/kinetics/kinetics_lists.py."""
    path = osp.join(
        osp.dirname(osp.abspath(__file__)), 'kinetics', 'kinetics_lists.py')
    spec = importlib.util.spec_from_file_location('kinetics_lists', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def scan_videos(root: str, exts: Sequence[str]) -> List[str]:
    """Video files under ``root``, relative, sorted."""
    if not osp.isdir(root):
        raise FileNotFoundError(f'video folder {root} does not exist')
    found = []
    for folder, dirs, files in os.walk(root, followlinks=True):
        dirs.sort()
        for name in files:
            if name.lower().endswith(tuple(exts)):
                found.append(
                    osp.relpath(osp.join(folder, name),
                                root).replace(os.sep, '/'))
    return sorted(found)


def class_index(classes: Sequence[str]) -> Dict[str, int]:
    """Name -> index, also under the ``_`` / space spelling."""
    index = {}
    for i, name in enumerate(classes):
        for key in (name, name.replace(' ', '_'), name.replace('_', ' ')):
            index.setdefault(key, i)
    return index


def from_tree(root: str,
              exts: Sequence[str],
              label_map: Optional[str] = None) -> List[Entry]:
    """Entries of a ``class/video`` folder tree."""
    videos = scan_videos(root, exts)
    if not videos:
        raise ValueError(f'no video ({", ".join(exts)}) under {root}')
    folders = sorted({v.split('/')[0] for v in videos if '/' in v})
    if label_map is not None:
        classes = kinetics_lists().read_label_map(label_map)
    else:
        classes = folders
    index = class_index(classes)
    unknown = [f for f in folders if f not in index]
    if unknown:
        raise ValueError(
            f'class folders {unknown[:10]} are not in the label map '
            f'{label_map} ({len(classes)} classes)')
    return [(v, index[v.split('/')[0]] if '/' in v else -1) for v in videos]


def from_csv(csv_file: str,
             label_map: Optional[str] = None,
             video_root: Optional[str] = None,
             class_dirs: bool = True,
             exts: Sequence[str] = VIDEO_EXTS) -> Tuple[List[Entry], int]:
    """Entries of a Kinetics csv; returns ``(entries, missing count)``."""
    kin = kinetics_lists()
    classes = (
        kin.read_label_map(label_map)
        if label_map else kin.classes_from_csv(csv_file))
    entries = kin.parse_csv(csv_file, classes, class_dirs)
    if video_root is None:
        return entries, 0
    # Match by path without extension: downloads are not always .mp4.
    on_disk = {osp.splitext(v)[0]: v for v in scan_videos(video_root, exts)}
    present = []
    for name, label in entries:
        found = on_disk.get(osp.splitext(name)[0])
        if found is not None:
            present.append((found, label))
    return present, len(entries) - len(present)


def write_list(path: str, entries: Sequence[Entry], labels: bool) -> None:
    if osp.dirname(path):
        os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        for video, label in entries:
            f.write(f'{video} {label}\n'
                    if labels and label >= 0 else f'{video}\n')


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='folder tree or Kinetics csv -> `path [label]` list')
    parser.add_argument('source', help='video folder tree or Kinetics csv')
    parser.add_argument('out', help='list file to write')
    parser.add_argument('--label-map', help='class order, one class per line')
    parser.add_argument(
        '--video-root',
        help='csv source: keep only the videos found under this folder')
    parser.add_argument(
        '--flat',
        action='store_true',
        help='csv source: videos are not in per-class folders')
    parser.add_argument(
        '--no-labels', action='store_true', help='write paths only')
    parser.add_argument(
        '--exts',
        default=','.join(VIDEO_EXTS),
        help='video file extensions (comma separated)')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    exts = tuple(
        e if e.startswith('.') else '.' + e
        for e in args.exts.lower().split(',') if e)
    if osp.isdir(args.source):
        if args.video_root or args.flat:
            sys.exit('--video-root and --flat apply to a csv source')
        entries, missing = from_tree(args.source, exts, args.label_map), 0
    elif args.source.lower().endswith('.csv'):
        entries, missing = from_csv(args.source, args.label_map,
                                    args.video_root, not args.flat, exts)
    else:
        sys.exit(f'{args.source} is neither a folder nor a .csv file')
    if not entries:
        sys.exit(f'no video to list from {args.source}')
    write_list(args.out, entries, not args.no_labels)
    labels = {label for _, label in entries if label >= 0}
    print(f'{args.out}: {len(entries)} videos, {len(labels)} classes' +
          (f', {missing} listed in the csv but not found (left out)'
           if missing else ''))
    return 0


if __name__ == '__main__':
    sys.exit(main())
