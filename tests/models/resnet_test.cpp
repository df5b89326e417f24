// --arch resnet: the WGAN-GP paper's residual networks (networks.h) and their training defaults.
#include <gtest/gtest.h>

#include <cmath>

#include "wgan/models/resnet.h"
#include "wgan/models/networks.h"
#include "wgan/optim/foreach_adam.h"
#include "wgan/run/train_config.h"
#include "wgan/util/error.h"
#include "../support/run_cli.h"
#include "../support/train_fixtures.h"

namespace wgan {
namespace {

ModelConfig resnet_config(int64_t resolution, int64_t channels, int64_t width = 8) {
  ModelConfig config;
  config.arch = "resnet";
  config.resolution = resolution;
  config.channels = channels;
  config.width = width;
  config.latent_dim = 16;
  config.critic_norm = CriticNorm::kNone;
  return config;
}

int64_t log2_of(int64_t v) { return static_cast<int64_t>(std::lround(std::log2(static_cast<double>(v)))); }

TEST(Resnet, ShapesAndOneBlockPerDoublingOfTheSide) {
  for (int64_t resolution : {32, 64, 128}) {
    for (int64_t channels : {1, 3}) {
      const auto config = resnet_config(resolution, channels, 4);
      auto g = std::dynamic_pointer_cast<ResnetGenerator>(make_generator(config));
      ASSERT_TRUE(g);
      EXPECT_EQ(static_cast<int64_t>(g->blocks->size()), log2_of(resolution) - 2);  // 4x4 up to the side
      auto d = make_critic(config);
      auto images = g->forward(torch::randn({2, 16}));
      ASSERT_EQ(images.sizes(), torch::IntArrayRef({2, channels, resolution, resolution}));
      EXPECT_LE(images.abs().max().item<double>(), 1.0);
      EXPECT_EQ(d->forward(images).sizes(), torch::IntArrayRef({2}));
      // The critic: the optimised block, down-blocks to 8x8, two blocks at 8x8 (the paper's four at 32).
      int64_t critic_blocks = 0;
      for (const auto& child : d->named_children())
        if (child.key() == "blocks") critic_blocks = static_cast<int64_t>(child.value()->children().size());
      EXPECT_EQ(critic_blocks, 1 + (log2_of(resolution / 2) - 3) + 2);
    }
  }
}

TEST(Resnet, ParameterNamesAreTheDocumentedLayout) {
  auto config = resnet_config(32, 3, 16);
  auto g = make_generator(config);
  auto params = g->named_parameters();
  auto buffers = g->named_buffers();
  EXPECT_EQ(params["input.weight"].sizes(), torch::IntArrayRef({16 * 4 * 4, 16}));
  for (const char* name : {"blocks.0.norm1.weight", "blocks.0.conv1.weight", "blocks.0.norm2.bias",
                           "blocks.0.conv2.weight", "blocks.2.shortcut.weight", "output_norm.weight"})
    EXPECT_TRUE(params.contains(name)) << name;
  EXPECT_TRUE(buffers.contains("output_norm.running_var"));
  EXPECT_EQ(params["blocks.0.conv1.weight"].sizes(), torch::IntArrayRef({16, 16, 3, 3}));
  EXPECT_EQ(params["output_conv.weight"].sizes(), torch::IntArrayRef({3, 16, 3, 3}));
  auto d = make_critic(config);
  auto critic = d->named_parameters();
  EXPECT_EQ(critic["blocks.0.conv1.weight"].sizes(), torch::IntArrayRef({16, 3, 3, 3}));
  EXPECT_EQ(critic["blocks.0.shortcut.weight"].sizes(), torch::IntArrayRef({16, 3, 1, 1}));
  EXPECT_FALSE(critic.contains("blocks.3.shortcut.weight"));  // same side, same channels: the identity
  EXPECT_EQ(critic["output.weight"].sizes(), torch::IntArrayRef({1, 16}));
  for (const auto& p : critic) EXPECT_EQ(p.key().find("norm"), std::string::npos) << p.key();  // none: no norm
  config.critic_norm = CriticNorm::kLayer;
  EXPECT_TRUE(make_critic(config)->named_parameters().contains("blocks.1.norm1.weight"));
}

// Each pixel repeated 2x2: what LibTorch's nearest interpolation gives.
TEST(Resnet, NearestUpsamplingIsLibTorchsNearestInterpolation) {
  auto x = torch::randn({2, 3, 5, 4});
  namespace F = torch::nn::functional;
  auto expected = F::interpolate(x, F::InterpolateFuncOptions().scale_factor(std::vector<double>{2.0, 2.0})
                                        .mode(torch::kNearest));
  EXPECT_NEAR((upsample_nearest_2x(x) - expected).abs().max().item<double>(), 0.0, 0.0);
}

// The gradient penalty trains the critic: the gradient of the input-gradient's norm reaches the
// weights of every layer (double backward through ReLU, mean pooling and the shortcuts), and a score of one image
// does not depend on the others in the batch.
TEST(Resnet, PenaltyGradientReachesEveryCriticLayerAndScoresArePerSample) {
  torch::manual_seed(3);
  auto d = make_critic(resnet_config(32, 1));
  auto x = torch::randn({4, 1, 32, 32}).requires_grad_(true);
  auto grad = torch::autograd::grad({d->forward(x).sum()}, {x}, {}, /*retain_graph=*/true, /*create_graph=*/true)[0];
  auto penalty = (grad.flatten(1).norm(2, 1) - 1).pow(2).mean();
  penalty.backward();
  // Weights only: with ReLUs the input gradient does not depend on the biases (zero second derivative).
  for (const auto& p : d->named_parameters()) {
    if (p.value().dim() < 2) continue;
    ASSERT_TRUE(p.value().grad().defined()) << p.key();
    EXPECT_GT(p.value().grad().abs().sum().item<double>(), 0.0) << p.key();
  }
  torch::NoGradGuard no_grad;
  auto a = torch::randn({4, 1, 32, 32});
  auto b = a.clone();
  b.narrow(0, 1, 3).normal_();
  EXPECT_NEAR((d->forward(a)[0] - d->forward(b)[0]).item<double>(), 0.0, 1e-5);
}

TEST(Resnet, TrainsWithThePapersScheduleUnlessGiven) {
  TrainOverrides given;
  given.model.arch = "resnet";
  auto config = new_run_config(given);
  EXPECT_NEAR(*config.lr, 2e-4, 1e-12);
  EXPECT_EQ(config.lr_decay, LrDecay::kLinear);
  EXPECT_EQ(config.model.critic_norm, CriticNorm::kNone);
  given.lr = 5e-5;
  given.lr_decay = LrDecay::kNone;
  given.model.critic_norm = CriticNorm::kLayer;
  config = new_run_config(given);
  EXPECT_NEAR(*config.lr, 5e-5, 1e-12);
  EXPECT_EQ(config.lr_decay, LrDecay::kNone);
  EXPECT_EQ(config.model.critic_norm, CriticNorm::kLayer);
  // dcgan keeps its own.
  EXPECT_EQ(new_run_config(TrainOverrides{}).lr_decay, LrDecay::kNone);
  EXPECT_EQ(new_run_config(TrainOverrides{}).model.critic_norm, CriticNorm::kLayer);
}

TEST(LrDecay, LinearFromTheLearningRateToZero) {
  EXPECT_NEAR(scheduled_learning_rate(LrDecay::kNone, 2e-4, 500, 1000), 2e-4, 1e-15);
  EXPECT_NEAR(scheduled_learning_rate(LrDecay::kLinear, 2e-4, 0, 1000), 2e-4, 1e-15);
  EXPECT_NEAR(scheduled_learning_rate(LrDecay::kLinear, 2e-4, 250, 1000), 1.5e-4, 1e-15);
  EXPECT_NEAR(scheduled_learning_rate(LrDecay::kLinear, 2e-4, 999, 1000), 2e-7, 1e-15);
  EXPECT_NEAR(scheduled_learning_rate(LrDecay::kLinear, 2e-4, 1200, 1000), 0.0, 1e-15);  // past the end (extended runs)
  auto w = torch::zeros({3}, torch::requires_grad());
  for (auto kind : {OptimizerKind::kAdam, OptimizerKind::kRmsprop}) {
    auto optimizer = make_optimizer(kind, {w}, 1e-3, 0.0, 0.9);
    set_learning_rate(*optimizer, 3e-5);
    for (auto& group : optimizer->param_groups()) {
      const auto& options = group.options();
      const double lr = kind == OptimizerKind::kAdam ? static_cast<const torch::optim::AdamOptions&>(options).lr()
                                                     : static_cast<const torch::optim::RMSpropOptions&>(options).lr();
      EXPECT_NEAR(lr, 3e-5, 1e-15);
    }
  }
}

TEST(LrDecay, BadValuesAreRefusedNamingTheFlag) {
  const auto dir = test_support::fresh_dir("lr_decay");
  auto bad = test_support::run_cli("train --lr-decay cosine --dry-run --run-dir " + dir);
  EXPECT_NE(bad.code, 0);
  EXPECT_NE(bad.output.find("--lr-decay 'cosine' must be none or linear"), std::string::npos) << bad.output;
}

// End to end: train, resume and sample a resnet run through the CLI on a folder of images.
TEST(Resnet, TrainsResumesAndSamplesThroughTheCli) {
  using test_support::run_cli;
  const auto dir = test_support::fresh_dir("resnet_cli");
  auto dry = run_cli("train --arch resnet --dry-run --run-dir " + dir + "/dry");
  ASSERT_EQ(dry.code, 0) << dry.output;
  EXPECT_NE(dry.output.find("\"lr_decay\": \"linear\""), std::string::npos) << dry.output;
  if (!std::filesystem::exists("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"))
    GTEST_SKIP() << "dataset-fashion-mnist not installed";
  const std::string run = " --run-dir " + dir + "/run --quiet --threads 2";
  auto trained = run_cli("train --arch resnet --max-images 128 --width 8 --batch 8 --steps 2 --n-critic 2" + run);
  ASSERT_EQ(trained.code, 0) << trained.output;
  auto resumed = run_cli("train --resume " + dir + "/run --steps 3 --quiet --threads 2");
  ASSERT_EQ(resumed.code, 0) << resumed.output;
  auto sampled = run_cli("sample --checkpoint " + dir + "/run --num 4 --grid " + dir + "/grid.png");
  ASSERT_EQ(sampled.code, 0) << sampled.output;
  EXPECT_TRUE(std::filesystem::exists(dir + "/grid.png"));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace wgan
