"""Pixel-correspondence ops (PyTorch reference, C++ CPU and CUDA kernels behind one API)."""
