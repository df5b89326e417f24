// Sampling from a trained generator: the same seed gives the same images whatever the batch, and
// latent interpolation walks the sphere.
#include "wgan/generate/generate.h"
#include "wgan/generate/latent.h"
#include "wgan/run/generator_loader.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "wgan/train/trainer.h"
#include "../support/train_fixtures.h"

namespace fs = std::filesystem;

namespace wgan {
namespace {

using test_support::fresh_dir;
using test_support::tiny_config;

class SamplingTest : public test_support::DeterministicTest {
 protected:
  ImageDataset data_ = test_support::square_dataset(64);
};

TEST_F(SamplingTest, IsDeterministicPerSeed) {
  const auto dir = fresh_dir("sample");
  Trainer trainer(tiny_config(dir, 1), data_, true);
  trainer.run();
  auto loaded = load_generator(dir, true, torch::kCPU);
  EXPECT_TRUE(loaded.is_ema);
  auto a = generate(*loaded.net, 16, 10, 5, torch::kCPU, 4);
  auto b = generate(*loaded.net, 16, 10, 5, torch::kCPU, 256);
  auto c = generate(*loaded.net, 16, 10, 6, torch::kCPU);
  EXPECT_NEAR((a - b).abs().max().item<double>(), 0.0, 1e-6);  // batch size does not matter
  EXPECT_GT((a - c).abs().max().item<double>(), 1e-5);          // the seed does
  fs::remove_all(dir);
}

TEST(Sampling, SlerpStaysOnTheSphereAndHitsBothEnds) {
  auto a = latent_for_seed(1, 64), b = latent_for_seed(2, 64);
  auto path = slerp_path(a, b, 7);
  ASSERT_EQ(path.sizes(), torch::IntArrayRef({7, 64}));
  EXPECT_NEAR((path[0] - a).abs().max().item<double>(), 0.0, 1e-5);
  EXPECT_NEAR((path[6] - b).abs().max().item<double>(), 0.0, 1e-5);
  // Equal norms at the ends stay nearly equal along the arc; a linear path would sag in the middle.
  auto unit_a = a / a.norm(), unit_b = b / b.norm();
  auto mid = slerp_path(unit_a, unit_b, 3)[1];
  EXPECT_NEAR(mid.norm().item<double>(), 1.0, 1e-5);
  EXPECT_LT(((unit_a + unit_b) / 2).norm().item<double>(), 0.9);
  EXPECT_TRUE(torch::equal(latent_for_seed(1, 64), a));
}

}  // namespace
}  // namespace wgan
