"""Necks: projection heads, propagation modules and receptive-field enlargers."""

from .dense_projection import DenseProjection
from .fpn_head_towers import FPNWithHeadTowers
from .mhsa import MHSA
from .pcd_student_neck import PCDStudentNeck
from .ppm import PPM

__all__ = ['DenseProjection', 'FPNWithHeadTowers', 'MHSA', 'PCDStudentNeck', 'PPM']
