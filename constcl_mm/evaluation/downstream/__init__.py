# Copyright (c) constcl_mm authors. All rights reserved.
"""Downstream evaluations of a pretrained backbone as functions.

Each builds the project's own downstream config (SiamFC tracking, linear
probe), runs it through mmengine's Runner and returns the scores; used by
``tools/mini_experiment.py`` on the synthetic world (docs/learning_proof.md).
Imported on demand (``from constcl_mm.evaluation.downstream import ...``),
not by ``import constcl_mm``.
"""
from .label_propagation import (evaluate_label_propagation,
                                evaluate_label_propagation_copy,
                                evaluate_label_propagation_pixels,
                                save_label_propagation_picture)
from .linear_probe import LINEAR_PROBE_CONFIG, evaluate_linear_probe  # noqa
from .probe_separability import cross_validate, extract_probe_features
from .region_correspondence import (CorrespondenceClips, draw_region_matches,
                                    evaluate_region_correspondence,
                                    region_features_of_model)
from .tracking import (TRACKING_CONFIG, TRACKING_TRAIN_CONFIG,
                       evaluate_ncc_tracker, evaluate_static_tracker,
                       evaluate_tracker, evaluate_tracking, tracking_branch)
from .tracking_plots import (mean_curves, plot_tracking_curves,
                             plot_training_loss)

__all__ = [
    'evaluate_tracking', 'tracking_branch', 'TRACKING_CONFIG',
    'TRACKING_TRAIN_CONFIG', 'evaluate_tracker', 'evaluate_static_tracker',
    'evaluate_ncc_tracker', 'plot_tracking_curves', 'plot_training_loss',
    'mean_curves', 'evaluate_linear_probe', 'LINEAR_PROBE_CONFIG',
    'CorrespondenceClips', 'draw_region_matches',
    'evaluate_region_correspondence', 'region_features_of_model',
    'extract_probe_features', 'cross_validate', 'evaluate_label_propagation',
    'evaluate_label_propagation_pixels', 'evaluate_label_propagation_copy',
    'save_label_propagation_picture'
]
