# Copyright (c) constcl_mm authors. All rights reserved.
"""Saves a PNG of the two augmented views of a video with their region boxes.

The views are produced by the ``train_dataloader`` pipeline of CONFIG (the
last step must be ``PackConSTCLInputs``). Each view's keyframe (frame
``clip_len // 2``, the one the boxes belong to) is drawn large with its
boxes, above a strip of frames of the clip; titles give the clip start,
flip and colour/blur/solarisation draws. With ``--checkpoint`` (and a
``model`` in CONFIG) the pretrained model's argmax region matches are drawn
between the views: solid lines view 1 -> view 2 (``match_a2b``), dashed
view 2 -> view 1 (``match_b2a``), labelled with the cosine similarity.

Examples::

    python tools/visualize_views.py \
        configs/_base_/datasets/kinetics400_constcl_pretrain.py \
        --video tests/data/mmaction2/demo/demo.mp4 --out views.png
    python tools/visualize_views.py configs/constcl/pretrain.py \
        --video clip.mp4 --checkpoint work_dirs/pretrain/iter_200000.pth \
        --box-type slic --num-boxes 16
"""
import argparse
import copy
import os.path as osp
import sys
from typing import Dict, Optional

import numpy as np


def parse_args(argv=None) -> argparse.Namespace:
    from constcl_mm.utils.cfg_options import CfgOptionsAction
    parser = argparse.ArgumentParser(
        description='draw the two augmented views and their region boxes')
    parser.add_argument('config', help='config with a train_dataloader')
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        '--video',
        help='a video file (default: a sample '
        'of the config dataset)')
    source.add_argument(
        '--index',
        type=int,
        default=0,
        help='dataset sample index (without --video)')
    parser.add_argument('--out', default='views.png', help='PNG to write')
    parser.add_argument(
        '--checkpoint',
        help='draw the region matches of '
        'this pretrained model (needs `model` in CONFIG)')
    parser.add_argument(
        '--box-type',
        choices=['random', 'slic', 'felzenszwalb', 'proposals'],
        help='override GenerateRegionBoxes.box_type')
    parser.add_argument(
        '--num-boxes', type=int, help='override GenerateRegionBoxes.num_boxes')
    parser.add_argument(
        '--frames',
        type=int,
        default=4,
        help='clip frames shown under each keyframe')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=CfgOptionsAction,
        help='override config settings')
    return parser.parse_args(argv)


def views_from_config(cfg, video: Optional[str], index: int,
                      box_type: Optional[str],
                      num_boxes: Optional[int]) -> Dict:
    """Runs the config's train pipeline; returns the results and the pack.

    Returns:
        dict: ``results`` (before packing: augmentation records) and
        ``packed`` (``inputs``, ``data_samples``).
    """
    from mmaction.registry import DATASETS, TRANSFORMS
    from mmengine.dataset import Compose
    dataset_cfg = copy.deepcopy(cfg.train_dataloader.dataset)
    pipeline = list(dataset_cfg.pipeline)
    if not pipeline or pipeline[-1]['type'] != 'PackConSTCLInputs':
        raise ValueError('the last step of train_dataloader.dataset.pipeline '
                         'must be PackConSTCLInputs')
    for step in pipeline:
        if step['type'] == 'GenerateRegionBoxes':
            if box_type:
                step['box_type'] = box_type
                step.pop('diagonal_artifact', None)
            if num_boxes:
                step['num_boxes'] = num_boxes
    pack = TRANSFORMS.build(pipeline[-1])
    if video is not None:
        if not osp.isfile(video):
            raise FileNotFoundError(f'--video {video} does not exist')
        results = Compose(pipeline[:-1])(
            dict(
                filename=video,
                video_key=osp.basename(video),
                label=-1,
                start_index=0,
                modality='RGB'))
    else:
        dataset_cfg['pipeline'] = pipeline[:-1]
        dataset = DATASETS.build(dataset_cfg)
        results = dataset[index]
    packed = pack(copy.copy(results))
    return dict(results=results, packed=packed)


def region_matches(cfg, checkpoint: str, packed: Dict) -> Dict:
    """``model.region_matches`` of the pretrained model on one sample."""
    import torch
    from mmaction.registry import MODELS
    from mmengine.runner import load_checkpoint
    if 'model' not in cfg:
        raise ValueError('--checkpoint needs a config with a `model` (e.g. '
                         'configs/constcl/pretrain.py)')
    model = MODELS.build(cfg.model)
    load_checkpoint(model, checkpoint, map_location='cpu')
    model.eval()
    with torch.no_grad():
        data = model.data_preprocessor(
            dict(
                inputs=[packed['inputs']],
                data_samples=[packed['data_samples']]), False)
        return model.region_matches(data['inputs'], data['data_samples'])


def _title(results: Dict, sample, view: int) -> str:
    parts = [f'view {view + 1}', f'start {int(sample.clip_starts[view])}']
    if bool(sample.flip[view]):
        parts.append('flipped')
    jitter = results.get('color_jitter')
    if jitter is not None and jitter[view] is not None:
        parts.append('jitter')
    if results.get('grayscale') is not None and results['grayscale'][view]:
        parts.append('gray')
    sigma = results.get('blur_sigma')
    if sigma is not None and sigma[view] > 0:
        parts.append(f'blur {sigma[view]:.2f}')
    if results.get('solarized') is not None and results['solarized'][view]:
        parts.append('solarised')
    return ', '.join(parts)


def draw_views(results: Dict,
               packed: Dict,
               out: str,
               matches: Optional[Dict] = None,
               num_frames: int = 4) -> None:
    """Draws the keyframes with boxes (and matches) and a strip of frames.

    Args:
        results (dict): Pipeline results before packing.
        packed (dict): ``PackConSTCLInputs`` output.
        out (str): PNG path.
        matches (dict, optional): ``match_a2b`` / ``match_b2a`` ``(1, N)``
            and ``similarity`` ``(1, N, N)``.
        num_frames (int): Frames in the strip under each keyframe.
    """
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    from matplotlib.patches import ConnectionPatch, Rectangle

    inputs = packed['inputs'].numpy()  # (2, 3, T, H, W)
    sample = packed['data_samples']
    keyframe = sample.metainfo['keyframe_index']
    boxes = sample.boxes.numpy()
    valid = sample.box_valid.numpy()
    num_views, _, clip_len, height, width = inputs.shape
    colors = plt.get_cmap('tab20').colors

    rows = 2 if num_frames > 0 else 1
    fig = plt.figure(figsize=(5.2 * num_views, 6.4 if rows == 2 else 5.2))
    grid = fig.add_gridspec(rows, num_views, height_ratios=[4, 1][:rows])
    key_axes = []
    for v in range(num_views):
        ax = fig.add_subplot(grid[0, v])
        ax.imshow(inputs[v, :, keyframe].transpose(1, 2, 0))
        for i in np.flatnonzero(valid[v]):
            x1, y1, x2, y2 = boxes[v, i] * [width, height, width, height]
            color = colors[i % len(colors)]
            ax.add_patch(
                Rectangle((x1, y1),
                          x2 - x1,
                          y2 - y1,
                          fill=False,
                          lw=1.5,
                          ec=color))
            ax.text(
                x1 + 1,
                y1 + 1,
                str(i),
                color='white',
                fontsize=7,
                va='top',
                bbox=dict(fc=color, ec='none', pad=0.5))
        ax.set_title(_title(results, sample, v), fontsize=8)
        ax.set_axis_off()
        key_axes.append(ax)
        if rows == 2:
            strip_ax = fig.add_subplot(grid[1, v])
            picks = np.unique(
                np.linspace(0, clip_len - 1,
                            min(num_frames, clip_len)).round().astype(int))
            strip = np.concatenate(
                [inputs[v, :, t].transpose(1, 2, 0) for t in picks], axis=1)
            strip_ax.imshow(strip)
            strip_ax.set_title(
                f'frames {picks.tolist()} of {clip_len}', fontsize=7)
            strip_ax.set_axis_off()

    if matches is not None and num_views == 2:
        sim = np.asarray(matches['similarity'])[0]
        centre = (boxes[..., :2] + boxes[..., 2:]) / 2 * [width, height]
        for src, dst, key, style in ((0, 1, 'match_a2b', '-'),
                                     (1, 0, 'match_b2a', '--')):
            match = np.asarray(matches[key])[0]
            for i in np.flatnonzero(valid[src]):
                j = int(match[i])
                if not valid[dst, j]:
                    continue
                score = sim[i, j] if src == 0 else sim[j, i]
                fig.add_artist(
                    ConnectionPatch(
                        xyA=centre[src, i],
                        coordsA=key_axes[src].transData,
                        xyB=centre[dst, j],
                        coordsB=key_axes[dst].transData,
                        color=colors[i % len(colors)],
                        lw=1.0,
                        ls=style,
                        alpha=0.8))
                if src == 0:
                    key_axes[0].text(
                        *centre[0, i],
                        f'{score:.2f}',
                        color='yellow',
                        fontsize=6,
                        ha='center')
        fig.suptitle(
            'argmax region matches: solid view 1 -> 2, dashed '
            'view 2 -> 1 (cosine similarity)',
            fontsize=9)
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)


def main(argv=None) -> int:
    args = parse_args(argv)
    import torch
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    import constcl_mm  # noqa: F401 - registers the transforms and models
    from constcl_mm.utils.cfg_options import merge_cfg_options
    torch.set_num_threads(1)
    cfg = Config.fromfile(args.config)
    merge_cfg_options(cfg, args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmaction'))
    if 'train_dataloader' not in cfg:
        sys.exit(f'{args.config} has no train_dataloader')
    np.random.seed(args.seed)
    views = views_from_config(cfg, args.video, args.index, args.box_type,
                              args.num_boxes)
    matches = None
    if args.checkpoint:
        matches = region_matches(cfg, args.checkpoint, views['packed'])
    draw_views(views['results'], views['packed'], args.out, matches,
               args.frames)
    print(f'saved {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
