"""Frozen teachers read from checkpoints when training starts, and their layouts."""

from .checkpointed_teacher import RANDOM_TEACHER, CheckpointedTeacher
from .layouts import LAYOUTS, TeacherLayout, load_teacher
from .pcd_teacher import PCDTeacher
from .spatial_adaptor import SpatialAdaptor, SpatialReLU, vector_state_to_spatial

__all__ = [
    'RANDOM_TEACHER',
    'CheckpointedTeacher',
    'LAYOUTS',
    'TeacherLayout',
    'load_teacher',
    'PCDTeacher',
    'SpatialAdaptor',
    'SpatialReLU',
    'vector_state_to_spatial',
]
