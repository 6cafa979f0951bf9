"""Visualisation of features and correspondences."""
