#include "wgan/models/blog.h"
#include "wgan/models/networks.h"

#include <gtest/gtest.h>

#include <cmath>

#include "wgan/losses/losses.h"
#include "wgan/models/layers.h"
#include "wgan/util/error.h"

namespace wgan {
namespace {

TEST(Networks, ShapesForEveryResolutionAndChannelCount) {
  for (int64_t resolution : {32, 64, 128, 256}) {
    for (int64_t channels : {1, 3}) {
      ModelConfig config;
      config.resolution = resolution;
      config.channels = channels;
      config.width = 4;
      config.latent_dim = 16;
      auto g = make_generator(config);
      auto d = make_critic(config);
      auto images = g->forward(torch::randn({2, 16}));
      ASSERT_EQ(images.sizes(), torch::IntArrayRef({2, channels, resolution, resolution}));
      EXPECT_LE(images.abs().max().item<double>(), 1.0);
      EXPECT_EQ(d->forward(images).sizes(), torch::IntArrayRef({2}));
    }
  }
}

TEST(Networks, BlogGeneratorHasTheSeedsNames) {
  BlogGenerator g;
  auto params = g.named_parameters();
  auto buffers = g.named_buffers();
  for (int i = 1; i <= 5; ++i) EXPECT_TRUE(params.contains("ConvT" + std::to_string(i) + ".weight"));
  EXPECT_FALSE(params.contains("ConvT1.bias"));  // the seed has bias=False everywhere
  for (int i = 1; i <= 4; ++i) {
    EXPECT_TRUE(params.contains("batchN" + std::to_string(i) + ".weight"));
    EXPECT_TRUE(buffers.contains("batchN" + std::to_string(i) + ".running_mean"));
  }
  EXPECT_EQ(params["ConvT1.weight"].sizes(), torch::IntArrayRef({100, 512, 4, 4}));
  EXPECT_EQ(params["ConvT5.weight"].sizes(), torch::IntArrayRef({64, 3, 4, 4}));
  EXPECT_EQ(g.forward(torch::randn({2, 100, 1, 1})).sizes(), torch::IntArrayRef({2, 3, 64, 64}));
}

TEST(Networks, BlogCriticHasTheSeedsNames) {
  ModelConfig config;
  config.arch = "seed";
  config.resolution = 64;
  config.channels = 3;
  config.critic_norm = CriticNorm::kBatch;
  BlogCritic d(config);
  auto params = d.named_parameters();
  for (int i = 1; i <= 5; ++i) EXPECT_TRUE(params.contains("conv" + std::to_string(i) + ".weight"));
  for (int i = 1; i <= 4; ++i) EXPECT_TRUE(params.contains("batchN" + std::to_string(i) + ".weight"));
  EXPECT_EQ(params["conv5.weight"].sizes(), torch::IntArrayRef({1, 512, 4, 4}));
  EXPECT_EQ(d.forward(torch::randn({2, 3, 64, 64})).sizes(), torch::IntArrayRef({2}));
}

// With a per-sample normalisation, one image's score must not depend on the rest of the batch;
// that independence is what makes the gradient penalty a per-sample quantity.
TEST(Networks, PerSampleNormsKeepScoresIndependentOfTheBatch) {
  for (const auto norm : {CriticNorm::kLayer, CriticNorm::kInstance, CriticNorm::kNone, CriticNorm::kBatch}) {
    ModelConfig config;
    config.width = 8;
    config.critic_norm = norm;
    torch::manual_seed(1);
    auto d = make_critic(config);
    auto a = torch::randn({4, 1, 32, 32});
    auto b = a.clone();
    b.narrow(0, 1, 3).normal_();
    const double diff = (d->forward(a)[0] - d->forward(b)[0]).abs().item<double>();
    if (norm == CriticNorm::kBatch) {
      EXPECT_GT(diff, 1e-6) << "batch norm should couple the samples";
    } else {
      EXPECT_NEAR(diff, 0.0, 1e-5) << norm;
    }
  }
}

TEST(Networks, PixelNormGivesEveryPixelUnitMeanSquare) {
  torch::manual_seed(2);
  const auto x = torch::randn({2, 5, 3, 3}) * 7;
  const auto y = PixelNorm()->forward(x);
  EXPECT_NEAR((y.pow(2).mean(1) - 1).abs().max().item<double>(), 0.0, 1e-5);
  // The direction is kept: y is x scaled per pixel by a positive number.
  EXPECT_NEAR((y * x.pow(2).mean(1, true).sqrt() - x).abs().max().item<double>(), 0.0, 1e-4);
}

TEST(Networks, MinibatchStddevAppendsTheGroupsMeanStandardDeviation) {
  torch::manual_seed(3);
  const auto x = torch::randn({6, 2, 4, 4});
  const auto y = MinibatchStddev()->forward(x);
  ASSERT_EQ(y.sizes(), torch::IntArrayRef({6, 3, 4, 4}));
  EXPECT_TRUE(torch::equal(y.narrow(1, 0, 2), x));
  // 6 images: groups of 3 (the largest size up to 4 dividing 6); image i is in group i % 2.
  for (int64_t image = 0; image < 6; ++image) {
    const auto members = x.index_select(0, torch::tensor({image % 2, image % 2 + 2, image % 2 + 4}));
    const double expected = members.var(0, /*unbiased=*/false).add(1e-8).sqrt().mean().item<double>();
    EXPECT_NEAR(y[image][2].min().item<double>(), expected, 1e-5) << image;
    EXPECT_NEAR(y[image][2].max().item<double>(), expected, 1e-5) << image;
  }
}

TEST(Networks, ProgressiveGanLayersInDcgan) {
  ModelConfig config;
  config.width = 8;
  config.latent_dim = 16;
  config.generator_norm = GeneratorNorm::kPixel;
  config.minibatch_stddev = true;
  torch::manual_seed(4);
  auto g = make_generator(config);
  auto d = make_critic(config);
  // Pixel norm: in training mode a sample does not depend on the rest of its batch (BatchNorm's does).
  const auto z = torch::randn({4, 16});
  auto other = z.clone();
  other.narrow(0, 1, 3).normal_();
  EXPECT_NEAR((g->forward(z)[0] - g->forward(other)[0]).abs().max().item<double>(), 0.0, 1e-6);
  // Minibatch stddev: the critic's score of an image depends on the others in its group.
  const auto images = torch::rand({4, 1, 32, 32}) * 2 - 1;
  auto changed = images.clone();
  changed.narrow(0, 1, 3).uniform_(-1, 1);
  EXPECT_GT((d->forward(images)[0] - d->forward(changed)[0]).abs().item<double>(), 1e-7);
  // The penalty's double backward runs through it and reaches the critic's weights.
  auto critic = [&](const torch::Tensor& x) { return d->forward(x); };
  const auto penalty = gradient_penalty(critic, images, changed, 10.0, 1e-12);
  penalty.backward();
  EXPECT_TRUE(std::isfinite(penalty.item<double>()));
  for (const auto& p : d->parameters())  // a bias moves no input gradient, so it gets none from the penalty
    if (p.dim() > 1) EXPECT_TRUE(p.grad().defined());
  // Only dcgan has them.
  config.arch = "resnet";
  EXPECT_THROW(validate(config, false), UserError);
  config.minibatch_stddev = false;
  EXPECT_THROW(validate(config, false), UserError);
  config.generator_norm = GeneratorNorm::kBatch;
  EXPECT_NO_THROW(validate(config, false));
}

TEST(Networks, ValidationNamesTheFlag) {
  ModelConfig config;
  config.resolution = 48;
  try {
    validate(config);
    FAIL() << "resolution 48 accepted";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("--resolution"), std::string::npos);
  }
  config.resolution = 32;
  config.arch = "seed";
  EXPECT_THROW(validate(config), UserError);  // the seed's networks are 64x64 RGB only
}

TEST(Networks, WrongInputShapesAreClearErrors) {
  ModelConfig config;
  config.width = 4;
  config.latent_dim = 16;
  auto g = make_generator(config);
  auto d = make_critic(config);
  try {
    g->forward(torch::randn({2, 100}));
    FAIL() << "a 100-d latent was accepted by a 16-d generator";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("[batch, 16]"), std::string::npos) << e.what();
  }
  try {
    d->forward(torch::randn({2, 3, 32, 32}));
    FAIL() << "RGB images were accepted by a gray critic";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("[batch, 1, 32, 32]"), std::string::npos) << e.what();
  }
  EXPECT_EQ(d->forward(g->forward(torch::randn({2, 16, 1, 1}))).sizes(), torch::IntArrayRef({2}));
}

TEST(Networks, CopyModuleStateMakesIdenticalOutputs) {
  ModelConfig config;
  config.width = 8;
  torch::manual_seed(5);
  auto a = make_generator(config);
  torch::manual_seed(6);
  auto b = make_generator(config);
  copy_module_state(*a, *b);
  a->eval();
  b->eval();
  auto z = torch::randn({3, 100});
  EXPECT_NEAR((a->forward(z) - b->forward(z)).abs().max().item<double>(), 0.0, 1e-7);
}

}  // namespace
}  // namespace wgan
