# Copyright (c) constcl_mm authors. All rights reserved.
import math
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from mmaction.registry import MODELS
from mmdet.structures import DetDataSample

from .base_ope_tracker import BaseOPETracker
from .tracking_geometry import pretrain_geometry, resolve_tracker_backbone

# SiamFC inference (Bertinetto et al., 2016; the values of the reference
# PyTorch ports), one-pass evaluation on full frames.
DEFAULT_TEST_CFG = dict(
    exemplar_size=127,
    search_size=255,
    context_amount=0.5,
    num_scales=3,
    scale_step=1.0375,
    scale_penalty=0.9745,
    scale_lr=0.59,
    window_influence=0.176,
    response_up=16,
    response_size=None,  # checked against the backbone when given
    total_stride=None,  # computed from a ResNet3d backbone when None
    min_size=1.)

SampleList = List[DetDataSample]


def crop_frames(frames: torch.Tensor, center: Tuple[float, float],
                sizes: Sequence[float], out_size: int) -> torch.Tensor:
    """Square crops of a frame stack around one centre, at several sizes.

    Coordinates are continuous 0-based pixels (pixel ``i`` covers
    ``[i, i + 1)``). Output pixel ``u`` samples (bilinear) the image at
    ``c - s / 2 + (u + 0.5) * s / out_size`` -- the mapping of the training
    crops (:func:`~constcl_mm.datasets.transforms.tracking_crop.crop_square`).
    Outside the image every frame is filled with its own mean colour.

    Args:
        frames (Tensor): ``(T, C, H, W)``.
        center (tuple[float, float]): ``(cx, cy)``.
        sizes (Sequence[float]): ``S`` crop sides, in image pixels.
        out_size (int): Output side.

    Returns:
        Tensor: ``(S, T, C, out_size, out_size)``.
    """
    t, c, h, w = frames.shape
    mean = frames.mean(dim=(2, 3), keepdim=True)
    sizes = torch.as_tensor(sizes, dtype=frames.dtype, device=frames.device)
    steps = (torch.arange(out_size, dtype=frames.dtype, device=frames.device) +
             0.5) / out_size - 0.5
    xs = center[0] + steps[None] * sizes[:, None]  # (S, out)
    ys = center[1] + steps[None] * sizes[:, None]
    grid = torch.stack(
        torch.broadcast_tensors((2 * xs / w - 1)[:, None, :],
                                (2 * ys / h - 1)[:, :, None]),
        dim=-1)  # (S, out, out, 2) as (x, y)
    src = (frames - mean).reshape(1, t * c, h,
                                  w).expand(len(sizes), -1, -1, -1)
    out = F.grid_sample(
        src, grid, mode='bilinear', padding_mode='zeros', align_corners=False)
    return out.reshape(len(sizes), t, c, out_size, out_size) + mean[None]


@MODELS.register_module()
class SiamFC(BaseOPETracker):
    """SiamFC tracker on a (video) backbone, with one-pass evaluation.

    Every frame is fed with its neighbours: inputs are stacks of ``T = 2n +
    1`` frames ``(N, T, 3, H, W)`` with the frame in the middle (n = 2 in
    the paper, clamped at the sequence ends). The backbone sees
    ``(N, 3, T, h, w)`` crops and the centre feature frame is kept: with
    :class:`ResNet3dY` (stem temporal stride 2) 5 input frames give 3
    feature frames and index 1, centred on input frame 2, is the current
    frame. The head correlates exemplar and search features.

    Training (``mode='loss'``): ``inputs = dict(exemplar=(N, T, 3, e, e),
    search=(N, T, 3, s, s))`` crops centred on the target; SiamFC's
    balanced logistic loss.

    Inference (``mode='predict'``, batch 1, frames of one video in order,
    see :class:`VideoSampler`): at frame 0 the exemplar is cropped around
    the ground truth (``gt_instances``), its features are kept in
    ``self.memo`` and the ground-truth box is the output (score -1, as
    mmtracking). At every later frame ``num_scales`` search regions
    (``scale_step`` apart) are cropped around the previous position,
    correlated with the exemplar, the responses upsampled ``response_up``
    times (bicubic), non-unit scales penalised (``scale_penalty``), the best
    scale's response normalised and blended with a cosine window
    (``window_influence``); its peak moves the target, and the size follows
    the best scale with learning rate ``scale_lr``. The output is
    ``pred_track_instances`` (``bboxes`` ``(1, 4)`` xyxy, ``scores``).

    The response size is ``(search_size - exemplar_size) / total_stride +
    1`` where the total stride comes from the backbone (8 for ResNet3dY
    with ``spatial_strides=(1, 2, 1, 1)``; 17 for 127/255). It is checked
    against ``response_size`` at construction and against the real
    response at run time.

    The backbone's strides and dilations must follow the pretraining
    backbone (``pretrain_backbone``, checked at construction, see
    :mod:`~constcl_mm.models.trackers.tracking_geometry`): res4/res5 run
    without stride, each dilated by the product of the pretraining strides
    it lost; ``'auto'`` in the backbone config takes the derived value.

    Args:
        backbone (dict): Backbone config; it must return a single feature
            ``(N, C, T', h, w)``. ``spatial_strides`` / ``dilations`` may be
            ``'auto'`` when ``pretrain_backbone`` is given.
        head (dict): :class:`SiamFCHead` config.
        num_frames (int): Frames per stack (``2n + 1``). Defaults to 5.
        test_cfg (dict, optional): Overrides of :data:`DEFAULT_TEST_CFG`.
        train_cfg (dict, optional): Kept as ``self.train_cfg``; the loss
            needs no settings beyond the head's.
        data_preprocessor (dict, optional): Defaults to
            :class:`SOTDataPreprocessor` (mean = std = 127.5).
        pretrain_backbone (dict, optional): ``spatial_strides`` (and
            ``dilations``) of the pretraining backbone (ResNet3d's defaults
            for keys not given). None (e.g. a non-ResNet backbone): no
            check. Defaults to None.
        init_cfg (dict, optional): Defaults to None.
    """

    def __init__(self,
                 backbone: dict,
                 head: dict,
                 num_frames: int = 5,
                 test_cfg: Optional[dict] = None,
                 train_cfg: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 pretrain_backbone: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        if data_preprocessor is None:
            data_preprocessor = dict(type='SOTDataPreprocessor')
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if num_frames < 1 or num_frames % 2 == 0:
            raise ValueError(f'num_frames must be odd (2n + 1), got '
                             f'{num_frames}')
        self.pretrain_backbone = None if pretrain_backbone is None else \
            pretrain_geometry(pretrain_backbone)
        self.backbone = MODELS.build(
            resolve_tracker_backbone(backbone, self.pretrain_backbone))
        self.head = MODELS.build(head)
        self.num_frames = num_frames
        self.train_cfg = dict(train_cfg or {})
        unknown = set(test_cfg or {}) - set(DEFAULT_TEST_CFG)
        if unknown:
            raise KeyError(f'unknown test_cfg keys {sorted(unknown)}; '
                           f'known: {sorted(DEFAULT_TEST_CFG)}')
        self.test_cfg = {**DEFAULT_TEST_CFG, **(test_cfg or {})}
        self.total_stride = self._resolve_total_stride()
        self.response_size = self._resolve_response_size()
        self.memo: Optional[dict] = None

    # ------------------------------------------------------------------
    # geometry
    def backbone_stride(self) -> Optional[int]:
        """Total spatial stride of a ResNet3d-style backbone's output."""
        bb = self.backbone
        if not all(
                hasattr(bb, a)
                for a in ('conv1_stride_s', 'spatial_strides', 'out_indices')):
            return None
        if len(bb.out_indices) != 1:
            raise ValueError('the tracker needs a backbone with one output; '
                             f'got out_indices={tuple(bb.out_indices)}')
        stage = min(bb.out_indices[0], len(bb.spatial_strides) - 1)
        stride = bb.conv1_stride_s
        if getattr(bb, 'with_pool1', False):
            stride *= bb.pool1_stride_s
        for s in bb.spatial_strides[:stage + 1]:
            stride *= s
        return int(stride)

    def _resolve_total_stride(self) -> int:
        given = self.test_cfg['total_stride']
        computed = self.backbone_stride()
        if computed is None and given is None:
            raise ValueError(
                f'cannot compute the stride of {type(self.backbone).__name__}'
                ': set test_cfg.total_stride')
        if computed is not None and given is not None and computed != given:
            raise ValueError(f'test_cfg.total_stride={given} but the backbone '
                             f'has total stride {computed}')
        return int(computed if computed is not None else given)

    def _resolve_response_size(self) -> int:
        cfg = self.test_cfg
        diff = cfg['search_size'] - cfg['exemplar_size']
        if diff < 0 or diff % self.total_stride:
            raise ValueError(
                f"search_size - exemplar_size = {cfg['search_size']} - "
                f"{cfg['exemplar_size']} must be a non-negative multiple of "
                f'the total stride {self.total_stride}')
        size = diff // self.total_stride + 1
        if cfg['response_size'] is not None and cfg['response_size'] != size:
            raise ValueError(
                f"test_cfg.response_size={cfg['response_size']} but "
                f"exemplar {cfg['exemplar_size']} / search "
                f"{cfg['search_size']} at stride {self.total_stride} give "
                f'{size}')
        return size

    # ------------------------------------------------------------------
    # features
    def extract_feat(self, clips: torch.Tensor) -> torch.Tensor:
        """Centre-frame features of frame stacks.

        Args:
            clips (Tensor): ``(N, T, 3, H, W)``, normalised.

        Returns:
            Tensor: ``(N, C, h, w)``, feature frame ``T' // 2`` of the
            backbone output ``(N, C, T', h, w)``.
        """
        if clips.dim() != 5 or clips.shape[1] != self.num_frames:
            raise ValueError(
                f'expected stacks of {self.num_frames} frames (N, '
                f'{self.num_frames}, 3, H, W), got {tuple(clips.shape)}: '
                'the dataset num_neighbors must be (num_frames - 1) / 2')
        # (N, C, T, H, W); the backbone sets its memory format (the SOT
        # preprocessor's channels-last stacks are already in it: no copy)
        feat = self.backbone(clips.transpose(1, 2))
        if isinstance(feat, (tuple, list)):
            if len(feat) != 1:
                raise ValueError(f'the backbone returned {len(feat)} '
                                 'features; the tracker uses exactly one')
            feat = feat[0]
        if feat.dim() == 5:
            feat = feat[:, :, feat.shape[2] // 2]
        return feat

    # ------------------------------------------------------------------
    def forward(self,
                inputs: Union[torch.Tensor, Dict[str, torch.Tensor]],
                data_samples: Optional[SampleList] = None,
                mode: str = 'tensor'):
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            if not isinstance(inputs, dict):
                raise TypeError("mode='tensor' needs inputs "
                                'dict(exemplar=..., search=...)')
            return self.head(
                self.extract_feat(inputs['exemplar']),
                self.extract_feat(inputs['search']))
        raise RuntimeError(f'invalid mode {mode!r}; only supports loss, '
                           'predict and tensor')

    def loss(
            self,
            inputs: Dict[str, torch.Tensor],
            data_samples: Optional[SampleList] = None
    ) -> Dict[str, torch.Tensor]:
        """SiamFC loss on exemplar/search pairs.

        Args:
            inputs (dict): ``exemplar`` ``(N, T, 3, e, e)`` and ``search``
                ``(N, T, 3, s, s)``.
            data_samples (list[DetDataSample], optional): Unused (labels
                follow from the centred crops).

        Returns:
            dict: ``loss_siamfc``.
        """
        if not isinstance(inputs, dict) or set(inputs) != {
                'exemplar', 'search'
        }:
            raise TypeError('training inputs must be dict(exemplar=..., '
                            'search=...)')
        responses = self.head(
            self.extract_feat(inputs['exemplar']),
            self.extract_feat(inputs['search']))
        self._check_response(responses, inputs['search'].shape[-1],
                             inputs['exemplar'].shape[-1])
        return self.head.loss(responses, self.total_stride)

    def _check_response(self, responses: torch.Tensor, search_size: int,
                        exemplar_size: int) -> None:
        expected = (search_size - exemplar_size) // self.total_stride + 1
        if tuple(responses.shape[-2:]) != (expected, expected):
            raise RuntimeError(
                f'response is {tuple(responses.shape[-2:])} but exemplar '
                f'{exemplar_size} / search {search_size} at total stride '
                f'{self.total_stride} should give {expected}x{expected}: '
                'the backbone stride differs from the computed one')

    # ------------------------------------------------------------------
    # one-pass evaluation (BaseOPETracker.predict calls init / track)
    @torch.no_grad()
    def init(self, frames: torch.Tensor, bbox: torch.Tensor) -> None:
        """Crops the exemplar around ``bbox`` and stores its features.

        Args:
            frames (Tensor): ``(T, 3, H, W)`` normalised frame stack.
            bbox (Tensor): ``(4, )`` xyxy ground truth of the centre frame.
        """
        cfg = self.test_cfg
        x1, y1, x2, y2 = (float(v) for v in bbox)
        if not (x2 > x1 and y2 > y1
                and all(math.isfinite(v) for v in (x1, y1, x2, y2))):
            raise ValueError(f'initial box {[x1, y1, x2, y2]} is not valid')
        center = ((x1 + x2) / 2, (y1 + y2) / 2)
        target_sz = (x2 - x1, y2 - y1)
        z_sz = self._context_size(target_sz)
        crop = crop_frames(frames, center, [z_sz], cfg['exemplar_size'])
        z_feat = self.extract_feat(crop)
        up = self.response_size * cfg['response_up']
        hann = torch.hann_window(
            up, periodic=False, dtype=frames.dtype, device=frames.device)
        window = torch.outer(hann, hann)
        n = cfg['num_scales']
        exponents = torch.arange(n, dtype=torch.float64) - (n - 1) / 2
        self.memo = dict(
            z_feat=z_feat,
            center=center,
            target_sz=target_sz,
            img_size=(frames.shape[-1], frames.shape[-2]),
            window=window / window.sum(),
            scale_factors=(cfg['scale_step']**exponents).tolist())

    def _context_size(self, target_sz: Tuple[float, float]) -> float:
        w, h = target_sz
        pad = self.test_cfg['context_amount'] * (w + h)
        return math.sqrt((w + pad) * (h + pad))

    @torch.no_grad()
    def track(self, frames: torch.Tensor) -> Tuple[torch.Tensor, float]:
        """One SiamFC step from ``self.memo``.

        Args:
            frames (Tensor): ``(T, 3, H, W)`` normalised frame stack.

        Returns:
            tuple[Tensor, float]: The ``(4, )`` xyxy box and the peak
            response (a logit) of the chosen scale.
        """
        cfg, memo = self.test_cfg, self.memo
        scales = memo['scale_factors']
        n = len(scales)
        exemplar, search = cfg['exemplar_size'], cfg['search_size']
        x_sz = self._context_size(memo['target_sz']) * search / exemplar
        crops = crop_frames(frames, memo['center'], [x_sz * s for s in scales],
                            search)
        responses = self.head(memo['z_feat'], self.extract_feat(crops))
        self._check_response(responses, search, exemplar)
        up = self.response_size * cfg['response_up']
        responses = F.interpolate(
            responses.float(),
            size=(up, up),
            mode='bicubic',
            align_corners=False)[:, 0]
        penalty = torch.full((n, ),
                             cfg['scale_penalty'],
                             device=responses.device)
        penalty[n // 2] = 1.
        responses = responses * penalty[:, None, None]
        best = int(responses.flatten(1).max(1).values.argmax())
        score = float(responses[best].max())
        response = responses[best] - responses[best].min()
        response = response / (response.sum() + 1e-16)
        wi = cfg['window_influence']
        response = (1 - wi) * response + wi * memo['window'].to(response)
        row, col = divmod(int(response.argmax()), up)
        # peak -> displacement in the search crop -> in the image
        to_image = self.total_stride / cfg['response_up'] * (
            x_sz * scales[best] / search)
        dx = (col - (up - 1) / 2) * to_image
        dy = (row - (up - 1) / 2) * to_image
        img_w, img_h = memo['img_size']
        cx = min(max(memo['center'][0] + dx, 0.), float(img_w))
        cy = min(max(memo['center'][1] + dy, 0.), float(img_h))
        scale = (1 - cfg['scale_lr']) + cfg['scale_lr'] * scales[best]
        min_size = cfg['min_size']
        w = min(max(memo['target_sz'][0] * scale, min_size), float(img_w))
        h = min(max(memo['target_sz'][1] * scale, min_size), float(img_h))
        memo['center'], memo['target_sz'] = (cx, cy), (w, h)
        bbox = torch.tensor([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2])
        return bbox, score
