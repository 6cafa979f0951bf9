// CPU kernels of the coordinate ops: centre distances and sums over geometric positives.
#include <ATen/ATen.h>
#include <ATen/Dispatch.h>
#include <ATen/OpMathType.h>
#include <ATen/Parallel.h>

#include "pixel_geometry.hpp"

using mmpcd::CellToGrid;

at::Tensor coord_distance_cpu(const at::Tensor& coord_q, const at::Tensor& coord_k, int64_t hq,
                              int64_t wq, int64_t hk, int64_t wk) {
  const int64_t num = coord_q.size(0), len_q = hq * wq, len_k = hk * wk;
  at::Tensor out = at::empty({num, len_q, len_k}, coord_q.options());
  AT_DISPATCH_FLOATING_TYPES(coord_q.scalar_type(), "coord_distance_cpu", [&] {
    const scalar_t* cq = coord_q.data_ptr<scalar_t>();
    const scalar_t* ck = coord_k.data_ptr<scalar_t>();
    scalar_t* dist = out.data_ptr<scalar_t>();
    at::parallel_for(0, num * len_q, 16, [&](int64_t begin, int64_t end) {
      for (int64_t row = begin; row < end; ++row) {
        const int64_t b = row / len_q;
        const CellToGrid<scalar_t> cell(cq + 4 * b, hq, wq, static_cast<int>(row % len_q),
                                        ck + 4 * b, hk, wk);
        for (int j = 0; j < len_k; ++j) dist[row * len_k + j] = cell.distance(j);
      }
    });
  });
  return out;
}

// src (N, Ls, C) of any supported dtype; the boxes, sums and counts are in its accumulate
// type (float for half src), so the geometry never runs in half precision.
std::vector<at::Tensor> positive_pair_sum_cpu(const at::Tensor& src, const at::Tensor& coord_out,
                                              const at::Tensor& coord_src, int64_t ho,
                                              int64_t wo, int64_t hs, int64_t ws,
                                              double pos_ratio) {
  const int64_t num = src.size(0), len_s = hs * ws, channels = src.size(2), len_o = ho * wo;
  at::Tensor sum = at::zeros({num, len_o, channels}, coord_out.options());
  at::Tensor count = at::zeros({num, len_o}, coord_out.options());
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, src.scalar_type(),
                                  "positive_pair_sum_cpu", [&] {
    using acc_t = at::opmath_type<scalar_t>;
    const scalar_t* feat = src.data_ptr<scalar_t>();
    const acc_t* co = coord_out.data_ptr<acc_t>();
    const acc_t* cs = coord_src.data_ptr<acc_t>();
    acc_t* acc = sum.data_ptr<acc_t>();
    acc_t* cnt = count.data_ptr<acc_t>();
    const acc_t ratio = static_cast<acc_t>(pos_ratio);
    at::parallel_for(0, num * len_o, 4, [&](int64_t begin, int64_t end) {
      for (int64_t row = begin; row < end; ++row) {
        const int64_t b = row / len_o;
        const CellToGrid<acc_t> cell(co + 4 * b, ho, wo, static_cast<int>(row % len_o),
                                     cs + 4 * b, hs, ws);
        acc_t* out_row = acc + row * channels;
        acc_t positives = 0;
        for (int s = 0; s < len_s; ++s) {
          if (!(cell.distance(s) < ratio)) continue;
          const scalar_t* src_row = feat + (b * len_s + s) * channels;
          for (int64_t c = 0; c < channels; ++c) out_row[c] += static_cast<acc_t>(src_row[c]);
          positives += 1;
        }
        cnt[row] = positives;
      }
    });
  });
  return {sum, count};
}
