// The WGAN-GP paper's 2-D toy distributions and the mode metrics later papers report on them
// (VEEGAN, PacGAN): modes covered, share of high-quality samples, KL of the mode histogram.
#pragma once
#include <torch/torch.h>

#include <ATen/core/Generator.h>
#include <string>

namespace wgan {

// 8gaussians: a ring of 8, radius 2, std 0.02, then / 1.414 (fresh points every batch).
// 25gaussians: a 5x5 grid {-4..4 step 2}, std 0.05, 100,000 fixed points shuffled, then / 2.828.
// swissroll: t = 1.5 pi (1 + 2u), (t cos t, t sin t) + N(0, 0.25^2), then / 7.5.
class ToyDistribution {
 public:
  ToyDistribution(const std::string& name, uint64_t seed);  // UserError naming --dataset when unknown
  torch::Tensor next_batch(int64_t size);                    // size x 2, float32
  const std::string& name() const { return name_; }
  // Mode centres after scaling (K x 2) and their std after scaling; empty for swissroll.
  const torch::Tensor& modes() const { return modes_; }
  double mode_std() const { return mode_std_; }

 private:
  std::string name_;
  at::Generator rng_;
  torch::Tensor modes_;
  double mode_std_ = 0;
  double scale_ = 1;
  double raw_std_ = 0;
  torch::Tensor fixed_points_;  // 25gaussians
  int64_t cursor_ = 0;
};

struct ModeMetrics {
  int64_t modes = 0;           // how many modes the distribution has
  int64_t modes_covered = 0;   // modes that are the nearest mode of at least one high-quality sample
  double high_quality = 0;     // share of samples within 3 std of their nearest mode
  double kl_to_uniform = 0;    // KL(p || uniform) of the nearest-mode histogram of all samples
};

// `samples`: N x 2. `modes`: K x 2 with per-mode std `std`.
ModeMetrics mode_metrics(const torch::Tensor& samples, const torch::Tensor& modes, double std);

}  // namespace wgan
