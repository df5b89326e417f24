// The toy experiments: the mode metrics on constructed samples, the datasets' geometry, and a
// short WGAN-GP run on 8gaussians that must find every mode.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "wgan/commands/toy_command.h"

namespace fs = std::filesystem;
using namespace wgan;

TEST(Toy, ModeMetricsOnConstructedSamples) {
  ToyDistribution ring("8gaussians", 1);
  const auto& modes = ring.modes();
  ASSERT_EQ(modes.size(0), 8);
  EXPECT_NEAR(ring.mode_std(), 0.02 / 1.414, 1e-12);
  EXPECT_NEAR(modes.norm(2, 1).min().item<double>(), 2.0 / 1.414, 1e-5);

  // 100 points on every mode: all covered, all high quality, a uniform histogram.
  auto exact = modes.repeat({100, 1});
  auto m = mode_metrics(exact, modes, ring.mode_std());
  EXPECT_EQ(m.modes_covered, 8);
  EXPECT_NEAR(m.high_quality, 1.0, 1e-12);
  EXPECT_NEAR(m.kl_to_uniform, 0.0, 1e-12);

  // Every point on mode 0: one mode, KL = log 8.
  auto collapsed = modes.slice(0, 0, 1).repeat({400, 1});
  m = mode_metrics(collapsed, modes, ring.mode_std());
  EXPECT_EQ(m.modes_covered, 1);
  EXPECT_NEAR(m.kl_to_uniform, std::log(8.0), 1e-9);

  // Points 4 std away from their mode are not high quality and cover nothing.
  auto off = modes + torch::tensor({4.0f * static_cast<float>(ring.mode_std()), 0.0f});
  m = mode_metrics(off, modes, ring.mode_std());
  EXPECT_EQ(m.modes_covered, 0);
  EXPECT_NEAR(m.high_quality, 0.0, 1e-12);
}

TEST(Toy, RealSamplesScoreAsHighQuality) {
  for (const std::string name : {"8gaussians", "25gaussians"}) {
    ToyDistribution data(name, 2);
    auto m = mode_metrics(data.next_batch(2500), data.modes(), data.mode_std());
    EXPECT_EQ(m.modes_covered, m.modes) << name;
    EXPECT_NEAR(m.high_quality, 0.989, 0.008) << name;  // P(|N(0, I2)| < 3) = 1 - exp(-4.5)
  }
  ToyDistribution roll("swissroll", 3);
  auto points = roll.next_batch(1000);
  EXPECT_EQ(points.size(1), 2);
  EXPECT_LT(points.abs().max().item<double>(), 2.5);
  EXPECT_THROW(ToyDistribution("circles", 1), std::runtime_error);
}

// The CI check of the paper's result, scaled to fit a couple of minutes of this CPU: hidden
// layers of 128 instead of 512 (16x fewer multiply-adds), at most 2,500 generator steps, and a
// faster schedule (Adam 1e-3 instead of 1e-4, falling linearly to 0 over the last 40% of the
// steps). WGAN-GP must find all 8 modes with at least 80% of the samples high quality (within
// 3 std = 0.042 of a mode): seeds 1, 2, 3 reach 85.6%, 85.3% and 84.3% at 2,500 steps, seed 1
// passes 80% at 2,000 (docs/quality.md). The paper's lr reaches only 53% in 2,500 steps.
// These are `wgan toy`'s defaults: what a first-time user runs is what this test checks.
TEST(Toy, WganGpFindsAllEightModes) {
  ToyConfig config;
  EXPECT_EQ(config.dataset, "8gaussians");
  EXPECT_NEAR(config.lr, 1e-3, 1e-12);
  config.eval_every = 250;
  config.stop_at_quality = 0.8;
  config.seed = 1;
  config.threads = 1;
  config.quiet = true;
  config.out = (fs::temp_directory_path() / ("wgan_toy_" + std::to_string(::getpid()))).string();
  auto result = run_toy(config);
  EXPECT_EQ(result.metrics.modes_covered, 8) << "after " << result.steps << " steps";
  EXPECT_GE(result.metrics.high_quality, 0.8) << "after " << result.steps << " steps";
  EXPECT_LE(result.metrics.kl_to_uniform, 0.1);
  EXPECT_TRUE(fs::exists(result.picture));
  fs::remove_all(config.out);
}

namespace wgan {
namespace {

TEST(Toy, PaperSettingsAreOneFlagAwayAndTheStartLineSaysTheTime) {
  const auto paper = paper_toy_config();
  const ToyConfig fast;
  EXPECT_EQ(paper.hidden, 512);
  EXPECT_NEAR(paper.lr_decay_from, 1.0, 1e-12);  // the paper's constant rate
  EXPECT_GT(paper.steps, fast.steps);
  EXPECT_LT(fast.hidden, paper.hidden);
  // 0.04 s per step over 2,500 steps: 100 s, said as 01:40.
  const auto line = describe_toy_run(fast, 0.04);
  EXPECT_NE(line.find("01:40"), std::string::npos) << line;
  EXPECT_NE(line.find("hidden 128"), std::string::npos) << line;
  EXPECT_NE(describe_toy_run(paper, 0.3).find("lr 0.0001 constant"), std::string::npos) << describe_toy_run(paper, 0.3);
}

}  // namespace
}  // namespace wgan
