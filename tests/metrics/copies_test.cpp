// The `copies` metric: a generator that returns its training images scores near 1, one that makes
// images unlike any training image scores 0, and new draws of the training distribution score low.
#include <gtest/gtest.h>

#include <array>
#include <vector>

#include "wgan/metrics/metric.h"
#include "../support/train_fixtures.h"

namespace wgan {
namespace {

TEST(Copies, TrainingImagesScoreOneAndNewOnesLow) {
  // Bright squares of every size 6..15 at every place, 600 of them drawn without repeats: distinct
  // images of one distribution.
  std::vector<std::array<int64_t, 3>> squares;
  for (int64_t side = 6; side < 16; ++side)
    for (int64_t top = 0; top + side <= 32; ++top)
      for (int64_t left = 0; left + side <= 32; ++left) squares.push_back({side, top, left});
  torch::manual_seed(12);
  const auto order = torch::randperm(static_cast<int64_t>(squares.size()), torch::kLong);
  const int64_t n = 600;
  auto images = torch::zeros({n, 32, 32, 1}, torch::kUInt8);
  for (int64_t i = 0; i < n; ++i) {
    const auto [side, top, left] = squares[static_cast<size_t>(order[i].item<int64_t>())];
    images[i].narrow(0, top, side).narrow(1, left, side).fill_(200);
  }
  ImageDataset train{images.narrow(0, 0, 400), "squares"};
  MetricContext context;
  context.data = "squares";
  context.train_images = &train;
  auto metric = make_copies_metric(context);
  auto as_nchw = [](const torch::Tensor& nhwc) { return nhwc.permute({0, 3, 1, 2}).contiguous(); };

  const auto copies = metric->evaluate(as_nchw(train.images.narrow(0, 0, 200)));
  EXPECT_NEAR(copies["copies_share"].get<double>(), 1.0, 1e-9);
  EXPECT_NEAR(copies["copies_nn_generated"].get<double>(), 0.0, 1e-6);

  const auto fresh = metric->evaluate(as_nchw(images.narrow(0, 400, 200)));  // same distribution, unseen
  EXPECT_NEAR(fresh["copies_share"].get<double>(), 0.05, 0.05);
  EXPECT_GT(fresh["copies_nn_generated"].get<double>(), 0.5 * fresh["copies_nn_train"].get<double>());

  const auto noise = metric->evaluate(torch::randint(0, 256, {200, 1, 32, 32}, torch::kUInt8));
  EXPECT_NEAR(noise["copies_share"].get<double>(), 0.0, 1e-9);
}

}  // namespace
}  // namespace wgan
