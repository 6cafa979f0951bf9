"""Algorithms (self-supervised pre-training and distillation) that combine the parts below."""
