# Copyright (c) constcl_mm authors. All rights reserved.
"""Errors shared by the annotation readers of datasets and tools."""


class AnnotationError(ValueError):
    """A malformed or inconsistent line in an annotation file.

    Raised by the AVA / AVA-Kinetics readers
    (:mod:`constcl_mm.datasets.ava_annotations`) and the ``tools/data`` list
    builders; the message names the file and line.
    """
