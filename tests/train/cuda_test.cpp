// *_CUDA tests: skipped where no GPU is visible (CI); bench/gpu_check.sh runs the same check on a
// GPU machine that has no GoogleTest.
#include <gtest/gtest.h>

#include "wgan/losses/losses.h"
#include "wgan/models/networks.h"

namespace wgan {
namespace {

// Critic loss (with the penalty at fixed alpha) and its gradients, from identical weights.
std::pair<double, std::vector<torch::Tensor>> critic_step(torch::Device device, const torch::Tensor& real,
                                                          const torch::Tensor& fake, const torch::Tensor& alpha) {
  ModelConfig config;
  config.width = 8;
  torch::manual_seed(0);
  auto d = make_critic(config);
  d->to(device);
  auto critic = [&](const torch::Tensor& x) { return d->forward(x); };
  auto r = real.to(device), f = fake.to(device);
  auto loss =
      d->forward(f).mean() - d->forward(r).mean() + gradient_penalty(critic, r, f, 10.0, 1e-12, alpha.to(device));
  loss.backward();
  std::vector<torch::Tensor> grads;
  for (const auto& p : d->parameters()) grads.push_back(p.grad().cpu());
  return {loss.item<double>(), grads};
}

TEST(Losses_CUDA, CriticStepMatchesCpu) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  at::globalContext().setAllowTF32CuDNN(false);
  auto real = torch::rand({8, 1, 32, 32}) * 2 - 1;
  auto fake = torch::rand({8, 1, 32, 32}) * 2 - 1;
  auto alpha = torch::rand({8});
  auto cpu = critic_step(torch::kCPU, real, fake, alpha);
  auto gpu = critic_step(torch::Device(torch::kCUDA, 0), real, fake, alpha);
  EXPECT_NEAR(cpu.first, gpu.first, 1e-4 * std::max(1.0, std::abs(cpu.first)));
  for (size_t i = 0; i < cpu.second.size(); ++i) {
    const double scale = std::max(cpu.second[i].abs().max().item<double>(), 1e-6);
    EXPECT_NEAR((cpu.second[i] - gpu.second[i]).abs().max().item<double>() / scale, 0.0, 1e-3) << "parameter " << i;
  }
}

}  // namespace
}  // namespace wgan
