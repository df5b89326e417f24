#include "wgan/toy/toy_data.h"

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>

#include "wgan/util/error.h"

namespace wgan {

ToyDistribution::ToyDistribution(const std::string& name, uint64_t seed)
    : name_(name), rng_(at::detail::createCPUGenerator(seed)) {
  if (name == "8gaussians") {
    const double r = 1.0 / std::sqrt(2.0);
    modes_ = torch::tensor({1.0, 0.0, -1.0, 0.0, 0.0, 1.0, 0.0, -1.0, r, r, r, -r, -r, r, -r, -r}, torch::kFloat32)
                 .view({8, 2}) * 2.0;
    raw_std_ = 0.02;
    scale_ = 1.414;
  } else if (name == "25gaussians") {
    std::vector<float> centres;
    for (int x = -2; x <= 2; ++x)
      for (int y = -2; y <= 2; ++y) centres.insert(centres.end(), {2.0f * x, 2.0f * y});
    modes_ = torch::tensor(centres).view({25, 2});
    raw_std_ = 0.05;
    scale_ = 2.828;
    // 4,000 points per mode, built once and shuffled, then cycled (as the paper's code does).
    auto which = torch::arange(25, torch::kLong).repeat_interleave(4000);
    auto points = modes_.index_select(0, which) + torch::randn({100000, 2}, rng_) * raw_std_;
    fixed_points_ = points.index_select(0, torch::randperm(100000, rng_, torch::kLong)) / scale_;
  } else if (name == "swissroll") {
    scale_ = 7.5;
  } else {
    throw UserError("--dataset '" + name + "': choose 8gaussians, 25gaussians or swissroll");
  }
  if (modes_.defined()) {
    modes_ = modes_ / scale_;
    mode_std_ = raw_std_ / scale_;
  } else {
    modes_ = torch::empty({0, 2});
  }
}

torch::Tensor ToyDistribution::next_batch(int64_t size) {
  if (name_ == "8gaussians") {
    auto which = torch::randint(0, 8, {size}, rng_, torch::kLong);
    return (modes_.index_select(0, which) * scale_ + torch::randn({size, 2}, rng_) * raw_std_) / scale_;
  }
  if (name_ == "25gaussians") {
    std::vector<torch::Tensor> parts;
    int64_t left = size;
    while (left > 0) {
      const int64_t take = std::min(left, fixed_points_.size(0) - cursor_);
      parts.push_back(fixed_points_.slice(0, cursor_, cursor_ + take));
      cursor_ = (cursor_ + take) % fixed_points_.size(0);
      left -= take;
    }
    return torch::cat(parts);
  }
  auto t = (torch::rand({size}, rng_) * 2.0 + 1.0) * (1.5 * M_PI);
  auto points = torch::stack({t * torch::cos(t), t * torch::sin(t)}, 1);
  return (points + torch::randn({size, 2}, rng_) * 0.25) / scale_;
}

ModeMetrics mode_metrics(const torch::Tensor& samples, const torch::Tensor& modes, double std) {
  ModeMetrics m;
  m.modes = modes.size(0);
  if (m.modes == 0 || samples.size(0) == 0) return m;
  auto distances = torch::cdist(samples.to(torch::kFloat64), modes.to(torch::kFloat64));  // N x K
  auto [nearest_distance, nearest_mode] = distances.min(1);
  auto good = nearest_distance < 3.0 * std;
  m.high_quality = good.to(torch::kFloat64).mean().item<double>();
  auto covered = torch::zeros({m.modes}, torch::kLong).index_put_({nearest_mode.index({good})}, torch::tensor(1L));
  m.modes_covered = covered.sum().item<int64_t>();
  auto p = torch::bincount(nearest_mode, {}, m.modes).to(torch::kFloat64) / static_cast<double>(samples.size(0));
  auto terms = torch::where(p > 0, p * (p * static_cast<double>(m.modes)).log(), torch::zeros_like(p));
  m.kl_to_uniform = terms.sum().item<double>();
  return m;
}

}  // namespace wgan
