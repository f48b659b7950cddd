# Copyright (c) constcl_mm authors. All rights reserved.
"""Draws the ConST-CL model of a config as a block diagram (PNG).

Reads the config's ``model`` dict (backbone, neck, both heads) and the
training pipeline (clip length, crop, boxes per view) and draws the two
views, the Y-shaped ``ResNet3dY`` (shared stem and res2-res4, then res5 for
the global branch and res5_1 for the local one), the global head with its
NT-Xent loss and the context cross-attention decoder with the region loss::

    python tools/analysis/draw_model.py configs/constcl/pretrain.py \\
        --out docs/images/model.png

Every number in the picture comes from the config, so the diagram of an
ablation (``context0``, ``endpoint-c4``, CVRL) shows its own settings.
"""
import argparse
from typing import Dict, List, Optional, Sequence

from mmengine.config import Config


def _step(pipeline: Sequence[dict], *types: str) -> Optional[dict]:
    for step in pipeline or ():
        if str(step.get('type', '')).rsplit('.', 1)[-1] in types:
            return step
    return None


def model_summary(cfg: Config) -> Dict[str, object]:
    """The labels of the diagram, read from the config.

    Returns:
        dict: ``views``, ``backbone``, ``global_branch``, ``global_head``,
        ``global_loss`` and, when the model has a local branch,
        ``local_branch``, ``decoder``, ``local_loss`` (strings), and
        ``has_local`` (bool).

    Raises:
        KeyError: the config has no ``model.backbone`` or
            ``model.global_head`` (not a ConST-CL / CVRL model).
    """
    model = cfg.model
    if 'backbone' not in model or 'global_head' not in model:
        raise KeyError(f'draw_model needs model.backbone and '
                       f'model.global_head; got {sorted(model)}')
    backbone = model.backbone
    pipeline = (cfg.get('train_dataloader', None)
                or {}).get('dataset', {}).get('pipeline', [])
    sample = _step(pipeline, 'CVRLSampleFrames', 'SampleFrames') or {}
    crop = _step(pipeline, 'MultiViewRandomResizedCrop') or {}
    boxes = _step(pipeline, 'GenerateRegionBoxes') or {}
    size = crop.get('scale', '?')
    views = (f"{sample.get('clip_len', '?')} frames (stride "
             f"{sample.get('frame_interval', '?')}) at {size}x{size}")
    branches = tuple(backbone.get('branches', ('global', )))
    width = backbone.get('base_channels', 64)
    summary = dict(
        views=views,
        backbone=(f"{backbone.type}-{backbone.get('depth', 50)}"
                  f"{'' if width == 64 else f' (width {width})'}\n"
                  'stem, res2-res4 shared'),
        global_branch='res5 (global)',
        has_local='local' in branches and model.get('neck') is not None)
    head = model.global_head
    summary['global_head'] = (
        f"avg pool, MLP {head.get('num_hidden_layers', 3)} x "
        f"{head.get('hid_channels', 2048)}\n-> {head.get('out_channels')}-d")
    summary['global_loss'] = (
        f"NT-Xent (global)\nT = {head.get('temperature')}, weight "
        f"{head.get('loss_weight', 1.0)}\nnegatives: all videos")
    if summary['has_local']:
        neck = model.neck
        att = neck.get('attention_cfg', {}) or {}
        local = model.get('local_head', {}) or {}
        summary['local_branch'] = 'res5_1 (local)'
        summary['decoder'] = (
            f"{neck.type}\nROIAlign {boxes.get('num_boxes', '?')} "
            f"{boxes.get('box_type', 'random')} boxes per view "
            f"({neck.get('crop_size', 4)}x{neck.get('crop_size', 4)})\n"
            f"context: {neck.get('context_length')} feature frames of the "
            f"other view\ncross-attention {att.get('num_layers', 3)} layers "
            f"x {att.get('num_heads', 3)} heads, width "
            f"{att.get('tx_channels', 128)}")
        summary['local_loss'] = (
            f"region contrast (local)\nT = {local.get('temperature')}, "
            f"weight {local.get('loss_weight')}\npositive: argmax cosine "
            'match')
    return summary


def draw_model(summary: Dict[str, object], out: str, title: str = '') -> None:
    """Draws :func:`model_summary` into ``out`` (PNG)."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyBboxPatch

    local = bool(summary['has_local'])
    fig, ax = plt.subplots(figsize=(11, 4.6 if local else 3.0))
    ax.set_xlim(0, 11)
    ax.set_ylim(0, 4.6 if local else 3.0)
    ax.axis('off')
    colours = dict(
        view='#dbe9f6',
        trunk='#e8e8e8',
        glob='#fde2c8',
        loc='#d8f0d2',
        loss='#f7d4d4')
    centres: Dict[str, tuple] = {}

    def box(name: str, x: float, y: float, w: float, h: float, text: str,
            colour: str) -> None:
        ax.add_patch(
            FancyBboxPatch((x, y),
                           w,
                           h,
                           boxstyle='round,pad=0.04,rounding_size=0.08',
                           facecolor=colour,
                           edgecolor='#555555',
                           linewidth=1))
        ax.text(
            x + w / 2,
            y + h / 2,
            text,
            ha='center',
            va='center',
            fontsize=7.5,
            wrap=True)
        centres[name] = (x, y, w, h)

    def arrow(a: str, b: str, style: str = '-|>', dashed: bool = False):
        xa, ya, wa, ha = centres[a]
        xb, yb, wb, hb = centres[b]
        ax.annotate(
            '',
            xy=(xb, yb + hb / 2),
            xytext=(xa + wa, ya + ha / 2),
            arrowprops=dict(
                arrowstyle=style,
                color='#333333',
                linewidth=1,
                linestyle='--' if dashed else '-',
                shrinkA=2,
                shrinkB=2))

    top = 3.1 if local else 1.7
    box('v1', 0.1, top + 0.55, 1.6, 0.7, f"view 1\n{summary['views']}",
        colours['view'])
    box('v2', 0.1, top - 0.55, 1.6, 0.7, f"view 2\n{summary['views']}",
        colours['view'])
    box('trunk', 2.2, top - 0.35, 1.7, 1.4, summary['backbone'],
        colours['trunk'])
    arrow('v1', 'trunk')
    arrow('v2', 'trunk')
    box('res5', 4.4, top + 0.2, 1.4, 0.6, summary['global_branch'],
        colours['glob'])
    box('ghead', 6.3, top + 0.15, 2.0, 0.7, summary['global_head'],
        colours['glob'])
    box('gloss', 8.95, top + 0.05, 1.95, 0.9, summary['global_loss'],
        colours['loss'])
    arrow('trunk', 'res5')
    arrow('res5', 'ghead')
    arrow('ghead', 'gloss')
    if local:
        box('res5_1', 4.4, 0.9, 1.4, 0.6, summary['local_branch'],
            colours['loc'])
        box('decoder', 6.05, 0.45, 2.6, 1.6, summary['decoder'],
            colours['loc'])
        box('lloss', 8.95, 0.8, 1.95, 0.9, summary['local_loss'],
            colours['loss'])
        arrow('trunk', 'res5_1')
        arrow('res5_1', 'decoder')
        arrow('decoder', 'lloss')
        ax.text(
            4.0,
            0.25,
            'each view\'s regions are reconstructed from the other view\'s '
            'context',
            fontsize=7,
            style='italic',
            color='#333333')
    ax.text(
        0.1, (4.6 if local else 3.0) - 0.2, title, fontsize=9, weight='bold')
    fig.tight_layout()
    fig.savefig(out, dpi=90)
    plt.close(fig)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='a ConST-CL or CVRL config')
    parser.add_argument('--out', default='model.png', help='PNG to write')
    parser.add_argument('--title', default=None, help='default: the config')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    import os.path as osp

    # importing constcl_mm makes `constcl_mm::` config names known
    from constcl_mm.mim import resolve_config_arg
    path = resolve_config_arg(args.config)
    cfg = Config.fromfile(path)
    title = args.title if args.title is not None else osp.basename(path)
    draw_model(model_summary(cfg), args.out, title)
    print(f'wrote {args.out}')


if __name__ == '__main__':
    main()
