#include "wgan/models/dcgan.h"
#include "wgan/losses/losses.h"

#include <gtest/gtest.h>

#include "wgan/models/networks.h"
#include "wgan/util/error.h"

namespace wgan {
namespace {

// D(x) = w . x, flattened per sample: its input gradient is w everywhere, so the penalty is known.
TEST(GradientPenalty, LinearCriticMatchesClosedForm) {
  torch::manual_seed(3);
  const double lambda = 10.0;
  auto w = torch::randn({3 * 4 * 4}, torch::kFloat64).mul_(0.4).requires_grad_(true);
  CriticFn critic = [&](const torch::Tensor& x) { return x.reshape({x.size(0), -1}).matmul(w); };
  auto real = torch::randn({5, 3, 4, 4}, torch::kFloat64);
  auto fake = torch::randn({5, 3, 4, 4}, torch::kFloat64);
  auto gp = gradient_penalty(critic, real, fake, lambda, 1e-12);
  const double norm = w.norm().item<double>();
  EXPECT_NEAR(gp.item<double>(), lambda * (norm - 1) * (norm - 1), 1e-9);

  // d/dw lambda (||w|| - 1)^2 = 2 lambda (||w|| - 1) w / ||w||: only reachable with create_graph.
  gp.backward();
  auto expected = 2 * lambda * (norm - 1) * w.detach() / norm;
  ASSERT_TRUE(w.grad().defined());
  EXPECT_NEAR((w.grad() - expected).abs().max().item<double>(), 0.0, 1e-9);
}

TEST(GradientPenalty, ZeroWhenUnitNorm) {
  auto w = torch::ones({4}, torch::kFloat64) / 2.0;  // ||w|| = 1
  CriticFn critic = [&](const torch::Tensor& x) { return x.reshape({x.size(0), -1}).matmul(w); };
  auto gp = gradient_penalty(critic, torch::randn({3, 1, 2, 2}, torch::kFloat64),
                             torch::randn({3, 1, 2, 2}, torch::kFloat64), 10.0, 1e-12);
  EXPECT_NEAR(gp.item<double>(), 0.0, 1e-9);
}

TEST(GradientPenalty, NormIsPerSampleOverAllDims) {
  // A critic whose input gradient differs per sample: D(x_i) = s_i * sum(x_i) with s = (1, 2).
  // Gradient norm of sample i = s_i * sqrt(C*H*W); the penalty averages the per-sample terms.
  auto s = torch::tensor({1.0, 2.0}, torch::kFloat64);
  CriticFn critic = [&](const torch::Tensor& x) { return x.reshape({2, -1}).sum(1) * s; };
  auto real = torch::zeros({2, 3, 2, 2}, torch::kFloat64);
  auto fake = torch::ones({2, 3, 2, 2}, torch::kFloat64);
  auto gp = gradient_penalty(critic, real, fake, 1.0, 1e-12, torch::tensor({0.3, 0.7}));
  const double root = std::sqrt(12.0);
  const double expected = 0.5 * ((root - 1) * (root - 1) + (2 * root - 1) * (2 * root - 1));
  EXPECT_NEAR(gp.item<double>(), expected, 1e-9);
}

TEST(GradientPenalty, TrainsEveryCriticLayer) {
  torch::manual_seed(0);
  ModelConfig config;
  config.width = 8;
  DcganCritic critic(config);
  auto real = torch::rand({4, 1, 32, 32}) * 2 - 1;
  auto fake = torch::rand({4, 1, 32, 32}) * 2 - 1;
  auto gp = gradient_penalty([&](const torch::Tensor& x) { return critic.forward(x); }, real, fake, 10.0, 1e-12);
  gp.backward();
  for (const auto& p : critic.named_parameters()) {
    if (p.key().find("weight") == std::string::npos || p.key().find("conv") == std::string::npos) continue;
    ASSERT_TRUE(p.value().grad().defined()) << p.key();
    EXPECT_GT(p.value().grad().abs().sum().item<double>(), 0.0) << p.key() << " got no gradient from the penalty";
  }
}

TEST(GradientPenalty, AlphaBroadcastsOverAnyChannelCount) {
  for (int64_t channels : {1, 3}) {
    auto w = torch::randn({channels * 8 * 8});
    CriticFn critic = [&](const torch::Tensor& x) { return x.reshape({x.size(0), -1}).matmul(w); };
    auto gp =
        gradient_penalty(critic, torch::randn({6, channels, 8, 8}), torch::randn({6, channels, 8, 8}), 10.0, 1e-12);
    const double norm = w.norm().item<double>();
    EXPECT_NEAR(gp.item<double>(), 10.0 * (norm - 1) * (norm - 1), 1e-3 * std::max(1.0, gp.item<double>()));
  }
}

// A critic that returns the mean pixel of each image, so scores are known exactly.
torch::Tensor mean_critic(const torch::Tensor& x) { return x.reshape({x.size(0), -1}).mean(1); }

TEST(Losses, WassersteinValues) {
  auto real = torch::full({2, 1, 2, 2}, 0.5);
  auto fake = torch::full({2, 1, 2, 2}, -0.25);
  auto terms = wgan_critic_loss(mean_critic, real, fake, {});
  EXPECT_NEAR(terms.loss.item<double>(), -0.75, 1e-6);
  EXPECT_NEAR(terms.real_score.item<double>(), 0.5, 1e-6);
  EXPECT_NEAR(terms.fake_score.item<double>(), -0.25, 1e-6);
  EXPECT_NEAR(wasserstein_generator_loss(torch::tensor({1.0, 3.0})).item<double>(), -2.0, 1e-6);
}

TEST(Losses, WganGpAddsPenalty) {
  auto real = torch::full({2, 1, 2, 2}, 0.5);
  auto fake = torch::full({2, 1, 2, 2}, -0.25);
  LossOptions options;
  options.gp_lambda = 10.0;
  auto terms = wgan_gp_critic_loss(mean_critic, real, fake, options);
  // grad of the mean over 4 pixels is 1/4 each: norm 0.5, penalty 10 * 0.25.
  EXPECT_NEAR(terms.penalty.item<double>(), 2.5, 1e-5);
  EXPECT_NEAR(terms.loss.item<double>(), -0.75 + 2.5, 1e-5);
}

TEST(Losses, ZeroLambdaSkipsThePenalty) {
  auto real = torch::full({2, 1, 2, 2}, 0.5);
  auto fake = torch::full({2, 1, 2, 2}, -0.25);
  LossOptions options;
  options.gp_lambda = 0.0;
  auto terms = wgan_gp_critic_loss(mean_critic, real, fake, options);
  EXPECT_NEAR(terms.penalty.item<double>(), 0.0, 1e-12);
  EXPECT_NEAR(terms.loss.item<double>(), -0.75, 1e-6);
  options.gp_lambda = 40.0;  // a lazy step with k = 4 carries 4 x 10
  EXPECT_NEAR(wgan_gp_critic_loss(mean_critic, real, fake, options).penalty.item<double>(), 10.0, 1e-4);
}

TEST(Losses, TheDriftTermAddsTheMeanSquaredRealScore) {
  auto real = torch::tensor({0.5, 1.5}).view({2, 1, 1, 1}).expand({2, 1, 2, 2}).contiguous();  // scores 0.5, 1.5
  auto fake = torch::full({2, 1, 2, 2}, -0.25);
  LossOptions options;
  options.gp_lambda = 0.0;
  const double without = wgan_gp_critic_loss(mean_critic, real, fake, options).loss.item<double>();
  EXPECT_NEAR(without, -0.25 - 1.0, 1e-6);
  options.drift = 0.01;
  const auto terms = wgan_gp_critic_loss(mean_critic, real, fake, options);
  EXPECT_NEAR(terms.loss.item<double>() - without, 0.01 * (0.25 + 2.25) / 2, 1e-7);
  EXPECT_NEAR(terms.real_score.item<double>(), 1.0, 1e-6);  // the reported scores stay the scores
  // Its gradient pulls large real scores towards 0: d/dD(real_i) = -1/2 + 0.01 * D(real_i).
  auto scores = torch::tensor({0.5, 1.5}, torch::requires_grad());
  auto critic = [&](const torch::Tensor& x) { return x.size(0) == 2 && x.min().item<double>() > 0 ? scores : mean_critic(x); };
  wgan_gp_critic_loss(critic, real, fake, options).loss.backward();
  EXPECT_NEAR(scores.grad()[0].item<double>(), -0.5 + 0.01 * 0.5, 1e-7);
  EXPECT_NEAR(scores.grad()[1].item<double>(), -0.5 + 0.01 * 1.5, 1e-7);
}

TEST(Losses, GanValuesMatchBinaryCrossEntropy) {
  auto real = torch::full({1, 1, 1, 1}, 2.0);
  auto fake = torch::full({1, 1, 1, 1}, -1.0);
  auto terms = gan_critic_loss(mean_critic, real, fake, {});
  // -log(sigmoid(2)) - log(1 - sigmoid(-1))
  const double expected = -std::log(1 / (1 + std::exp(-2.0))) - std::log(1 - 1 / (1 + std::exp(1.0)));
  EXPECT_NEAR(terms.loss.item<double>(), expected, 1e-5);
  EXPECT_NEAR(nonsaturating_generator_loss(torch::tensor({0.0})).item<double>(), std::log(2.0), 1e-6);
}

TEST(Losses, ClipWeightsBoundsEveryParameter) {
  auto a = torch::tensor({-1.0, 0.005, 2.0});
  clip_weights({a}, 0.01);
  EXPECT_NEAR(a[0].item<double>(), -0.01, 1e-9);
  EXPECT_NEAR(a[1].item<double>(), 0.005, 1e-9);
  EXPECT_NEAR(a[2].item<double>(), 0.01, 1e-9);
}

TEST(Losses, UnknownNameIsAUserError) {
  EXPECT_THROW(make_loss("hinge"), UserError);
  for (const auto& name : loss_names()) EXPECT_EQ(make_loss(name).name, name);
}

}  // namespace
}  // namespace wgan
