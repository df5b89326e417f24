// The speed options must not change the method: the multi-tensor Adam against torch::optim::Adam,
// the joint real+fake critic pass against two passes, deferred loss reads against per-step reads,
// the GPU batch gather (run here on the CPU) against the host batcher, and bf16 autocast against
// fp32 (close, not equal).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>

#include "wgan/data/batcher.h"
#include "wgan/data/device_batches.h"
#include "wgan/losses/losses.h"
#include "wgan/models/networks.h"
#include "wgan/optim/foreach_adam.h"
#include "wgan/models/precision.h"
#include "wgan/train/trainer.h"
#include "wgan/util/error.h"
#include "../support/train_fixtures.h"

namespace fs = std::filesystem;

namespace wgan {
namespace {

using test_support::noise_dataset;

double max_diff(const std::vector<torch::Tensor>& a, const std::vector<torch::Tensor>& b) {
  double worst = 0;
  for (size_t i = 0; i < a.size(); ++i) worst = std::max(worst, (a[i] - b[i]).abs().max().item<double>());
  return worst;
}

std::vector<torch::Tensor> fresh_params(uint64_t seed) {
  torch::manual_seed(seed);
  return {torch::randn({8, 4, 3, 3}).requires_grad_(), torch::randn({8}).requires_grad_(),
          torch::randn({5, 7}).requires_grad_()};
}

void set_grads(std::vector<torch::Tensor>& params, int step) {
  torch::manual_seed(1000 + step);
  for (auto& p : params) p.mutable_grad() = torch::randn_like(p);
}

TEST(ForeachAdam, MatchesTorchAdamStepForStepAndSharesItsState) {
  auto ours = fresh_params(3), theirs = fresh_params(3);
  auto options = torch::optim::AdamOptions(1e-2).betas({0.0, 0.9});
  ForeachAdam foreach_adam(ours, options);
  torch::optim::Adam torch_adam(theirs, options);
  for (int step = 0; step < 4; ++step) {
    set_grads(ours, step);
    set_grads(theirs, step);
    foreach_adam.step();
    torch_adam.step();
  }
  EXPECT_NEAR(max_diff(ours, theirs), 0.0, 1e-7);
  EXPECT_GT(max_diff(ours, fresh_params(3)), 1e-3);  // the weights did move

  // Its saved state continues in torch::optim::Adam exactly as its own would.
  const auto file = (fs::temp_directory_path() / ("wgan_foreach_adam_" + std::to_string(::getpid()))).string();
  torch::save(foreach_adam, file);
  auto resumed = ours;
  for (auto& p : resumed) p = p.detach().clone().requires_grad_();
  torch::optim::Adam loaded(resumed, options);
  torch::load(loaded, file);
  set_grads(resumed, 9);
  set_grads(ours, 9);
  loaded.step();
  foreach_adam.step();
  EXPECT_NEAR(max_diff(ours, resumed), 0.0, 1e-7);
  fs::remove(file);
}

TEST(JointCriticPass, GivesTheSameLossAsTwoPasses) {
  ModelConfig model;
  model.width = 8;
  torch::manual_seed(4);
  auto critic = make_critic(model);
  CriticFn fn = [&](const torch::Tensor& x) { return critic->forward(x); };
  auto real = torch::rand({6, 1, 32, 32}) * 2 - 1, fake = torch::rand({6, 1, 32, 32}) * 2 - 1;
  LossOptions options;
  options.alpha = torch::rand({6});
  auto loss = make_loss("wgan-gp");
  auto separate = loss.critic(fn, real, fake, options);
  options.joint_pass = true;
  auto joint = loss.critic(fn, real, fake, options);
  EXPECT_NEAR(joint.loss.item<double>(), separate.loss.item<double>(), 1e-5);
  EXPECT_NEAR(joint.real_score.item<double>(), separate.real_score.item<double>(), 1e-6);
  EXPECT_NEAR(joint.fake_score.item<double>(), separate.fake_score.item<double>(), 1e-6);
  EXPECT_GT(std::abs(joint.real_score.item<double>() - joint.fake_score.item<double>()), 1e-7);
}

TEST(DeviceBatches, GatherAndFlipMatchTheHostBatcher) {
  auto data = noise_dataset(40);
  EpochBatcher batcher(data, 8, 11, /*xflip=*/true);
  DeviceBatches on_device(data, torch::kCPU);
  bool some_flip = false;
  for (int64_t index = 0; index < 7; ++index) {  // crosses an epoch boundary (5 batches per epoch)
    auto plan = batcher.plan(index);
    some_flip = some_flip || plan.flip.any().item<bool>();
    auto expected = to_signed_unit(batcher.batch(index));
    EXPECT_NEAR((on_device.batch(plan, false) - expected).abs().max().item<double>(), 0.0, 1e-7);
    auto nhwc = on_device.batch(plan, true);
    EXPECT_TRUE(nhwc.is_contiguous(torch::MemoryFormat::ChannelsLast));
    EXPECT_NEAR((nhwc - expected).abs().max().item<double>(), 0.0, 1e-7);
  }
  EXPECT_TRUE(some_flip);
}

// The tiny config for 6 steps, one metrics line at the end, host reads every `check_every` steps.
TrainConfig small_run(const std::string& name, int64_t check_every) {
  TrainConfig c = test_support::tiny_config(test_support::fresh_dir("speed_" + name), 6);
  c.log_every = 6;
  c.check_every = check_every;
  return c;
}

TEST(DeferredChecks, SumTheSameLossesAndReadOnlyEveryKSteps) {
  auto data = noise_dataset(64);
  // One after the other: the trainers share LibTorch's global generator, which each constructor reseeds.
  StatsWindow eager_sum, deferred_sum;
  {
    Trainer eager(small_run("eager", 1), data, true);
    for (int step = 1; step <= 6; ++step) eager_sum.add(eager.train_step());
  }
  Trainer deferred(small_run("deferred", 3), data, true);
  for (int step = 1; step <= 6; ++step) {
    auto read = deferred.train_step();
    EXPECT_EQ(read.steps, step % 3 == 0 ? 3 : 0) << "step " << step;
    deferred_sum.add(read);
  }
  ASSERT_EQ(eager_sum.steps, 6);
  ASSERT_EQ(deferred_sum.steps, 6);
  for (const std::string name : {"critic_loss", "penalty", "wasserstein", "generator_loss", "real_score"}) {
    const auto& eager = eager_sum.sums[name];
    const auto& later = deferred_sum.sums[name];
    EXPECT_EQ(later.count, eager.count) << name;
    EXPECT_GE(eager.count, 6) << name;
    EXPECT_NEAR(later.total, eager.total, 1e-4 * (1 + std::abs(eager.total))) << name;
  }
  EXPECT_GT(std::abs(eager_sum.sums["penalty"].total), 1e-6);  // the sums are not trivially zero
}

TEST(DeferredChecks, NanIsReportedAtTheNextReadWithTheSpan) {
  auto data = noise_dataset(64);
  Trainer trainer(small_run("nan", 3), data, true);
  trainer.train_step();
  {
    torch::NoGradGuard no_grad;
    trainer.critic().parameters().front().fill_(std::numeric_limits<float>::quiet_NaN());
  }
  EXPECT_EQ(trainer.train_step().steps, 0);  // not read yet
  try {
    trainer.train_step();
    FAIL() << "NaN went unnoticed";
  } catch (const TrainingDiverged& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("between steps 1 and 3"), std::string::npos) << message;
    EXPECT_NE(message.find("NaN"), std::string::npos) << message;
  }
}

TEST(Precision, Bf16AutocastRunsInBfloat16AndRestoresTheState) {
  auto x = torch::randn({2, 3, 8, 8}), w = torch::randn({4, 3, 3, 3});
  {
    AutocastScope scope(torch::kCPU, true);
    EXPECT_EQ(torch::conv2d(x, w).scalar_type(), torch::kBFloat16);
  }
  EXPECT_EQ(torch::conv2d(x, w).scalar_type(), torch::kFloat32);
  {
    AutocastScope off(torch::kCPU, false);
    EXPECT_EQ(torch::conv2d(x, w).scalar_type(), torch::kFloat32);
  }
  EXPECT_THROW(wants_bf16(Precision::kAuto), std::logic_error);  // auto must be resolved first
}

TEST(Precision, Bf16TrainingStepStaysCloseToFp32WithEveryCriticNorm) {
  auto data = noise_dataset(64);
  // The layer-norm critic normalises in float32 itself (CPU autocast has no float32 rule for
  // group_norm); instance norm and none go through autocast's own rules.
  for (const auto norm : {CriticNorm::kLayer, CriticNorm::kInstance, CriticNorm::kNone}) {
    auto fp32_config = small_run("fp32", 1);
    auto bf16_config = small_run("bf16", 1);
    fp32_config.precision = Precision::kFp32;
    bf16_config.precision = Precision::kBf16;
    fp32_config.model.critic_norm = bf16_config.model.critic_norm = norm;
    StatsWindow a;
    {
      Trainer fp32(fp32_config, data, true);  // first, alone: the constructors reseed the global generator
      a = fp32.train_step();
    }
    Trainer bf16(bf16_config, data, true);
    auto b = bf16.train_step();
    // Same weights, data and noise; bfloat16 keeps 8 bits of mantissa, so a few per cent.
    EXPECT_NEAR(b.mean("wasserstein"), a.mean("wasserstein"), 0.05 * std::abs(a.mean("wasserstein")) + 0.02) << norm;
    EXPECT_NEAR(b.mean("penalty"), a.mean("penalty"), 0.05 * std::abs(a.mean("penalty")) + 0.02) << norm;
    EXPECT_NEAR(b.mean("generator_loss"), a.mean("generator_loss"), 0.05 * std::abs(a.mean("generator_loss")) + 0.02) << norm;
    EXPECT_NE(b.mean("penalty"), a.mean("penalty")) << norm;  // autocast did change the arithmetic
    for (const auto& p : bf16.generator().parameters()) EXPECT_EQ(p.scalar_type(), torch::kFloat32);
    EXPECT_EQ(bf16.config().precision, Precision::kBf16);
  }
}

TEST(Precision, AutoFollowsTheCpusBf16Instructions) {
  // What /proc/cpuinfo lists is the independent witness for the cpuid reading.
  std::ifstream cpuinfo("/proc/cpuinfo");
  if (!cpuinfo) GTEST_SKIP() << "no /proc/cpuinfo to compare with";
  std::string text((std::istreambuf_iterator<char>(cpuinfo)), std::istreambuf_iterator<char>());
  const bool listed = text.find(" avx512_bf16") != std::string::npos || text.find(" amx_bf16") != std::string::npos;
  EXPECT_EQ(has_native_bf16(torch::kCPU), listed);
  std::string notice;
  const auto expected = listed ? Precision::kBf16 : Precision::kFp32;
  EXPECT_EQ(resolve_precision(Precision::kAuto, torch::kCPU, &notice), expected);
  EXPECT_EQ(notice.empty(), listed) << notice;  // a one-line notice exactly when auto falls back
  EXPECT_EQ(resolve_precision(Precision::kFp32, torch::kCPU), Precision::kFp32);
  EXPECT_EQ(resolve_precision(Precision::kBf16, torch::kCPU), Precision::kBf16);
  // The trainer records what auto chose.
  auto data = noise_dataset(64);
  auto config = small_run("auto", 1);
  config.precision = Precision::kAuto;
  Trainer trainer(config, data, true);
  EXPECT_EQ(trainer.config().precision, expected);
}

TEST(GpuOptions, OnTheCpuAreUserErrorsNamingTheFlag) {
  auto config = small_run("graph", 3);
  config.cuda_graph = true;
  try {
    check_options(config, torch::kCPU);
    FAIL() << "--cuda-graph accepted on the CPU";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("--cuda-graph"), std::string::npos) << e.what();
  }
  config.cuda_graph = false;
  config.gpu_data = GpuData::kOn;
  EXPECT_THROW(check_options(config, torch::kCPU), UserError);  // --gpu-data on without a GPU
}

}  // namespace
}  // namespace wgan
