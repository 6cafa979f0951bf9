"""Building blocks shared by models."""
from .ema_momentum import check_ema_momentum
from .pcd_teacher import PCDTeacher
from .teacher_loader import LAYOUTS, apply_teacher_checkpoint, load_teacher

__all__ = ['check_ema_momentum', 'PCDTeacher', 'LAYOUTS', 'apply_teacher_checkpoint',
           'load_teacher']
