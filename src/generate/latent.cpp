#include "wgan/generate/latent.h"

#include <algorithm>
#include <cmath>

namespace wgan {

torch::Tensor draw_z(int64_t count, int64_t latent_dim, uint64_t seed) {
  auto rng = at::detail::createCPUGenerator(seed);
  return torch::randn({count, latent_dim}, rng, torch::TensorOptions().dtype(torch::kFloat32));
}

torch::Tensor latent_for_seed(uint64_t seed, int64_t latent_dim) { return draw_z(1, latent_dim, seed)[0]; }

torch::Tensor slerp_path(const torch::Tensor& a, const torch::Tensor& b, int64_t steps) {
  auto t = torch::linspace(0.0, 1.0, steps, torch::kFloat64).unsqueeze(1);
  auto a64 = a.to(torch::kFloat64), b64 = b.to(torch::kFloat64);
  const double cos_omega = std::clamp((a64 / a64.norm()).dot(b64 / b64.norm()).item<double>(), -1.0, 1.0);
  const double omega = std::acos(cos_omega);
  torch::Tensor path;
  if (std::sin(omega) < 1e-6) {
    path = (1 - t) * a64 + t * b64;
  } else {
    path = (torch::sin((1 - t) * omega) * a64 + torch::sin(t * omega) * b64) / std::sin(omega);
  }
  return path.to(a.scalar_type());
}

}  // namespace wgan
