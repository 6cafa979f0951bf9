"""Necks: projection heads, propagation modules and receptive-field enlargers."""
