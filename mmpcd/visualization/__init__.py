"""Visualisation of what pixel-level models learn, each writing PNGs of a known size:
effective receptive fields (PCD Fig. 4), PCA of feature maps (PCD Fig. 5), DenseCL matches and
PixPro positives between two views, and training curves from mmengine's json logs.
The command-line front ends are ``tools/analysis_tools/{visualize_erf, visualize_features,
visualize_correspondence, analyze_logs}.py``."""

from .correspondence import (
    View,
    densecl_matches,
    draw_correspondence,
    pair_segments,
    positive_mask,
    sample_views,
)
from .erf import draw_erfs, effective_receptive_field, erf_centroid, erf_image, erf_widths
from .figure import PanelGrid
from .images import list_images, load_folder, load_square, to_tensor
from .logs import curves, load_train_scalars, plot_curves, train_time_summary
from .model import CheckpointMismatch, FeatureModel, build_feature_model, load_weights
from .pca import draw_pca, pca_rgb

__all__ = [
    'View',
    'densecl_matches',
    'draw_correspondence',
    'pair_segments',
    'positive_mask',
    'sample_views',
    'draw_erfs',
    'effective_receptive_field',
    'erf_centroid',
    'erf_image',
    'erf_widths',
    'PanelGrid',
    'list_images',
    'load_folder',
    'load_square',
    'to_tensor',
    'curves',
    'load_train_scalars',
    'plot_curves',
    'train_time_summary',
    'CheckpointMismatch',
    'FeatureModel',
    'build_feature_model',
    'load_weights',
    'draw_pca',
    'pca_rgb',
]
