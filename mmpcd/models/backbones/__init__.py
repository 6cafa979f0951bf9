"""Backbones that mmpretrain/mmdet/mmseg do not provide."""
