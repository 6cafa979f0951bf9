// Python bindings of mmpcd._ext (entry functions live in csrc/pytorch/<op>.cpp).
#include <torch/extension.h>

at::Tensor coord_distance(const at::Tensor& coord_q, const at::Tensor& coord_k, int64_t hq,
                          int64_t wq, int64_t hk, int64_t wk);
at::Tensor pixel_propagation_forward(const at::Tensor& x, const at::Tensor& value, double gamma,
                                     double clamp_min);
std::vector<at::Tensor> pixel_propagation_backward(const at::Tensor& grad_out,
                                                   const at::Tensor& x, const at::Tensor& value,
                                                   double gamma, double clamp_min);
at::Tensor dense_argmax_match(const at::Tensor& feat_q, const at::Tensor& feat_k);
std::vector<at::Tensor> masked_pair_cosine_forward(const at::Tensor& p, const at::Tensor& t,
                                                   const at::Tensor& coord_q,
                                                   const at::Tensor& coord_k, int64_t hq,
                                                   int64_t wq, int64_t hk, int64_t wk,
                                                   double pos_ratio);
std::vector<at::Tensor> masked_pair_cosine_backward(const at::Tensor& scale,
                                                    const at::Tensor& pair_sum_t,
                                                    const at::Tensor& p, const at::Tensor& t,
                                                    const at::Tensor& coord_q,
                                                    const at::Tensor& coord_k, int64_t hq,
                                                    int64_t wq, int64_t hk, int64_t wk,
                                                    double pos_ratio);

PYBIND11_MODULE(TORCH_EXTENSION_NAME, m) {
  m.def("with_cuda", [] {
#ifdef MMPCD_WITH_CUDA
    return true;
#else
    return false;
#endif
  }, "whether the CUDA kernels were compiled");
  m.def("coord_distance", &coord_distance, "coord_distance (CPU/CUDA)", py::arg("coord_q"),
        py::arg("coord_k"), py::arg("hq"), py::arg("wq"), py::arg("hk"), py::arg("wk"));
  m.def("pixel_propagation_forward", &pixel_propagation_forward,
        "pixel_propagation_forward (CPU/CUDA)", py::arg("x"), py::arg("value"),
        py::arg("gamma"), py::arg("clamp_min"));
  m.def("pixel_propagation_backward", &pixel_propagation_backward,
        "pixel_propagation_backward (CPU/CUDA)", py::arg("grad_out"), py::arg("x"),
        py::arg("value"), py::arg("gamma"), py::arg("clamp_min"));
  m.def("dense_argmax_match", &dense_argmax_match, "dense_argmax_match (CPU/CUDA)",
        py::arg("feat_q"), py::arg("feat_k"));
  m.def("masked_pair_cosine_forward", &masked_pair_cosine_forward,
        "masked_pair_cosine_forward (CPU/CUDA)", py::arg("p"), py::arg("t"), py::arg("coord_q"),
        py::arg("coord_k"), py::arg("hq"), py::arg("wq"), py::arg("hk"), py::arg("wk"),
        py::arg("pos_ratio"));
  m.def("masked_pair_cosine_backward", &masked_pair_cosine_backward,
        "masked_pair_cosine_backward (CPU/CUDA)", py::arg("scale"), py::arg("pair_sum_t"),
        py::arg("p"), py::arg("t"),
        py::arg("coord_q"), py::arg("coord_k"), py::arg("hq"), py::arg("wq"), py::arg("hk"),
        py::arg("wk"), py::arg("pos_ratio"));
}
