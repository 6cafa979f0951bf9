"""Building blocks shared by models."""
from .builders import build_data_preprocessor, build_module
from .ema_momentum import check_ema_momentum
from .pcd_teacher import PCDTeacher
from .teacher_loader import LAYOUTS, apply_teacher_checkpoint, load_teacher

__all__ = [
    'build_data_preprocessor', 'build_module', 'check_ema_momentum', 'PCDTeacher', 'LAYOUTS',
    'apply_teacher_checkpoint', 'load_teacher'
]
