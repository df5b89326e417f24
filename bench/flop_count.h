// Analytic FLOP count of one WGAN-GP training iteration for the DCGAN networks (the channel rule
// of networks.cpp), shared by the CPU and GPU benchmarks.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <utility>

namespace wgan_bench {

// Multiply-accumulates of one image through the generator and through the critic.
inline std::pair<double, double> forward_macs(int64_t resolution, int64_t channels, int64_t width) {
  const int64_t levels = static_cast<int64_t>(std::log2(resolution)) - 2;
  auto ch = [&](int64_t level) { return width * std::min<int64_t>(int64_t{1} << (levels - 1 - level), 8); };
  double g = 100.0 * ch(0) * 16;  // z -> 4x4
  for (int64_t level = 1; level < levels; ++level) {
    const double side_in = 4 << (level - 1);
    g += ch(level - 1) * ch(level) * 16 * side_in * side_in;
  }
  g += ch(levels - 1) * channels * 16.0 * std::pow(resolution / 2.0, 2);
  double d = channels * ch(levels - 1) * 16.0 * std::pow(resolution / 2.0, 2);
  for (int64_t level = levels - 1; level >= 1; --level) {
    const double side_out = 4 << (level - 1);
    d += ch(level) * ch(level - 1) * 16 * side_out * side_out;
  }
  d += ch(0) * 16.0;
  return {g, d};
}

// FLOPs per critic image (estimate): G forward + 3 critic forwards (real, fake, x_hat) + the
// backward of real/fake (2x forward each) + the input gradient at x_hat (~1 forward) and its
// double backward (~4 forwards) = F_G + 11 F_D; the generator step adds (3 F_G + 2 F_D) / 5.
inline double flops_per_critic_image(int64_t resolution, int64_t channels, int64_t width) {
  const auto [g, d] = forward_macs(resolution, channels, width);
  return 2.0 * ((g + 11 * d) + (3 * g + 2 * d) / 5.0);
}

}  // namespace wgan_bench
