// Geometry of feature cells and similarity weights, shared by the CPU and CUDA kernels so
// that both compute bit-identical distances (and hence identical positive masks).
#pragma once
#include <cmath>

#ifdef __CUDACC__
#define MMPCD_HOST_DEVICE __host__ __device__ __forceinline__
#else
#define MMPCD_HOST_DEVICE inline
#endif

namespace mmpcd {

// The cells of one view's (H, W) feature map in normalised image coordinates; ``coord`` is
// [x_ul, y_ul, x_lr, y_lr] (x entries swapped for a flipped view, so bin_w < 0).
template <typename T>
struct CellGrid {
  T x0, y0, bin_w, bin_h, diag;
  int width;

  MMPCD_HOST_DEVICE CellGrid(const T* coord, int height, int width_) : width(width_) {
    x0 = coord[0];
    y0 = coord[1];
    bin_w = (coord[2] - coord[0]) / static_cast<T>(width_);
    bin_h = (coord[3] - coord[1]) / static_cast<T>(height);
    diag = sqrt(bin_w * bin_w + bin_h * bin_h);
  }
  // Centre of the flattened (row-major) cell ``index``.
  MMPCD_HOST_DEVICE T center_x(int index) const {
    return x0 + (static_cast<T>(index % width) + static_cast<T>(0.5)) * bin_w;
  }
  MMPCD_HOST_DEVICE T center_y(int index) const {
    return y0 + (static_cast<T>(index / width) + static_cast<T>(0.5)) * bin_h;
  }
};

// Centre distance of cell a (grid ga) and cell b (grid gb) in units of the larger diagonal.
// Symmetric bit for bit: (xa - xb)^2 == (xb - xa)^2 in IEEE arithmetic.
template <typename T>
MMPCD_HOST_DEVICE T cell_distance(T xa, T ya, T xb, T yb, T max_diag) {
  const T dx = xa - xb;
  const T dy = ya - yb;
  return sqrt(dx * dx + dy * dy) / max_diag;
}

// Distances from one cell of a view's grid to every cell of the other view's grid, in units of
// the larger of the two cell diagonals: the row of ``coord_distance`` the kernels need.
template <typename T>
struct CellToGrid {
  CellGrid<T> other;
  T x, y, max_diag;

  MMPCD_HOST_DEVICE CellToGrid(const T* coord_self, int height_self, int width_self, int cell,
                               const T* coord_other, int height_other, int width_other)
      : other(coord_other, height_other, width_other) {
    const CellGrid<T> self(coord_self, height_self, width_self);
    x = self.center_x(cell);
    y = self.center_y(cell);
    max_diag = self.diag > other.diag ? self.diag : other.diag;
  }
  MMPCD_HOST_DEVICE T distance(int cell_other) const {
    return cell_distance(x, y, other.center_x(cell_other), other.center_y(cell_other),
                         max_diag);
  }
};

template <typename T>
MMPCD_HOST_DEVICE T power(T base, T exponent) {
  if (exponent == static_cast<T>(2)) return base * base;
  if (exponent == static_cast<T>(1)) return base;
  return pow(base, exponent);
}

// Pixel-propagation weight max(s, clamp_min)^gamma.
template <typename T>
MMPCD_HOST_DEVICE T propagation_weight(T sim, T gamma, T clamp_min) {
  return power(sim > clamp_min ? sim : clamp_min, gamma);
}

// d weight / d sim; clamp passes the gradient where sim >= clamp_min, as torch.clamp does.
template <typename T>
MMPCD_HOST_DEVICE T propagation_weight_grad(T sim, T gamma, T clamp_min) {
  if (sim < clamp_min) return static_cast<T>(0);
  return gamma * power(sim, gamma - static_cast<T>(1));
}

}  // namespace mmpcd
