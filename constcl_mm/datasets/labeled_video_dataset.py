# Copyright (c) constcl_mm authors. All rights reserved.
"""mmaction2's ``VideoDataset`` whose labels are checked when it is built."""
from typing import List, Optional

from mmaction.datasets import VideoDataset
from mmaction.registry import DATASETS

from ..utils.errors import AnnotationError


@DATASETS.register_module()
class LabeledVideoDataset(VideoDataset):
    """A ``path label`` video list (mmaction2's ``VideoDataset``) whose
    labels must fit the classifier.

    mmaction2 reads any integer as a label and an empty list as no video;
    the classifier then fails after the first iteration (``IndexError:
    Target 7 is out of bounds``) or the dataset at its first use ("need at
    least one array to concatenate"). Here both are refused when the
    dataset is built, naming the list file (and line) and ``num_classes``.

    Args:
        ann_file (str): The list.
        pipeline (list): The transforms.
        num_classes (int): Classes of the classifier
            (``model.cls_head.num_classes``); labels must be in
            ``[0, num_classes)``. Unlabelled lines (label -1) are accepted
            in ``test_mode`` only.
        **kwargs: Other :class:`VideoDataset` arguments.
    """

    def __init__(self,
                 ann_file: str,
                 pipeline: list,
                 num_classes: Optional[int] = None,
                 **kwargs) -> None:
        if num_classes is None or int(num_classes) < 1:
            raise ValueError(
                f'LabeledVideoDataset ({ann_file}) needs num_classes >= 1 '
                '(the classifier\'s model.cls_head.num_classes), got '
                f'{num_classes!r}')
        super().__init__(
            ann_file, pipeline, num_classes=int(num_classes), **kwargs)

    def load_data_list(self) -> List[dict]:
        """Reads the list, then checks that it is not empty and that every
        label fits ``num_classes``."""
        data_list = super().load_data_list()
        if not data_list:
            raise AnnotationError(
                f'video list {self.ann_file} lists no video: write one '
                '`path label` line per video (or point ann_file at another '
                'list)')
        if self.multi_class:
            return data_list
        for lineno, info in enumerate(data_list, 1):
            label = info['label']
            if label == -1 and self.test_mode:
                continue
            if not 0 <= label < self.num_classes:
                raise AnnotationError(
                    f'{self.ann_file}:{lineno}: label {label} is outside '
                    f'0..{self.num_classes - 1} (num_classes='
                    f'{self.num_classes}, the classifier\'s '
                    'model.cls_head.num_classes); fix the label, or set '
                    'num_classes to the number of classes of the list')
        return data_list
