"""Converters of upstream checkpoints into mmpcd's layouts (CLIs in tools/model_converters)."""
