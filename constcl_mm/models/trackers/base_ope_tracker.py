# Copyright (c) constcl_mm authors. All rights reserved.
"""The frame bookkeeping of one-pass evaluation, shared by the trackers."""
from typing import List, Tuple

import torch
from mmdet.structures import DetDataSample
from mmengine.model import BaseModel
from mmengine.structures import InstanceData

SampleList = List[DetDataSample]


class BaseOPETracker(BaseModel):
    """A single-object tracker run frame by frame (OTB one-pass evaluation).

    :meth:`predict` receives one frame stack at a time, frames of one video
    in order (:class:`VideoSampler`, batch 1). At frame 0 it calls
    :meth:`init` with the ground-truth box and outputs that box (score -1,
    as mmtracking); at every later frame it calls :meth:`track`. The output
    is ``pred_track_instances`` (``bboxes`` ``(1, 4)`` xyxy, ``scores``).
    Subclasses implement :meth:`init` (which must set ``self.memo`` to a
    dict) and :meth:`track`.
    """

    memo = None

    def forward(self, inputs, data_samples=None, mode: str = 'predict'):
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        raise RuntimeError(f'{type(self).__name__} only tracks (mode '
                           f"'predict'), got mode {mode!r}")

    def predict(self, inputs: torch.Tensor,
                data_samples: SampleList) -> SampleList:
        """Tracks one frame (OPE).

        Args:
            inputs (Tensor): ``(1, T, 3, H, W)``, the frame in the middle.
            data_samples (list[DetDataSample]): One sample with ``frame_id``
                and ``video_id``; frame 0 needs ``gt_instances.bboxes``.

        Returns:
            list[DetDataSample]: With ``pred_track_instances``.
        """
        if inputs.dim() != 5 or inputs.shape[0] != 1 or len(data_samples) != 1:
            raise ValueError('one-pass evaluation tracks one frame at a time:'
                             ' use batch_size=1, got inputs '
                             f'{tuple(inputs.shape)}')
        sample = data_samples[0]
        frame_id = sample.metainfo['frame_id']
        video_id = sample.metainfo.get('video_id', 0)
        frames = inputs[0]
        if frame_id == 0:
            gt = sample.gt_instances.bboxes[0].to(frames.dtype)
            self.init(frames, gt)
            bbox, score = gt.clone(), -1.
        else:
            memo = self.memo
            if memo is None or memo['video_id'] != video_id or \
                    memo['frame_id'] != frame_id - 1:
                raise RuntimeError(
                    f'frame {frame_id} of video {video_id} arrived after ' +
                    ('nothing' if memo is
                     None else f"frame {memo['frame_id']} of video "
                     f"{memo['video_id']}") +
                    ': frames must come in order from frame 0 on one process '
                    '(use VideoSampler)')
            bbox, score = self.track(frames)
        self.memo['video_id'] = video_id
        self.memo['frame_id'] = frame_id
        sample.pred_track_instances = InstanceData(
            bboxes=bbox.reshape(1, 4).float(),
            scores=torch.tensor([score], dtype=torch.float32))
        return data_samples

    def init(self, frames: torch.Tensor, bbox: torch.Tensor) -> None:
        """Starts a video: sets ``self.memo`` (a dict) from the first frame
        stack ``(T, 3, H, W)`` and its ``(4, )`` xyxy box."""
        raise NotImplementedError

    def track(self, frames: torch.Tensor) -> Tuple[torch.Tensor, float]:
        """One step: the ``(4, )`` xyxy box in the frame stack and a
        confidence score."""
        raise NotImplementedError
