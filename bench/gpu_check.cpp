// GPU check (run by bench/gpu_check.sh on a machine with CUDA): one WGAN-GP critic step on CUDA
// must match the CPU within tolerance, then training throughput on CUDA for the two benchmark
// configurations. Prints JSON lines; exit 1 when the step does not match.
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>

#include "wgan/data/dataset.h"
#include "wgan/losses/losses.h"
#include "wgan/models/networks.h"
#include "wgan/train/trainer.h"

namespace {

struct BenchConfig {
  std::string name;
  wgan::ModelConfig model;
};

std::vector<BenchConfig> bench_configs() {
  wgan::ModelConfig fmnist;  // the default Fashion-MNIST networks: 32x32x1, width 64
  wgan::ModelConfig rgb64;   // the seed's size: 64x64x3, width 64 (layer for layer the seed's shapes)
  rgb64.resolution = 64;
  rgb64.channels = 3;
  return {{"fmnist32", fmnist}, {"rgb64", rgb64}};
}

// Critic loss and gradients of one step, from identical weights and inputs.
struct StepResult {
  double loss;
  std::vector<torch::Tensor> grads;
};

StepResult critic_step(const wgan::ModelConfig& model, torch::Device device, const torch::Tensor& real,
                       const torch::Tensor& z, const torch::Tensor& alpha) {
  torch::manual_seed(0);
  auto g = wgan::make_generator(model);
  auto d = wgan::make_critic(model);
  g->to(device);
  d->to(device);
  auto fake = g->forward(z.to(device)).detach();
  auto critic = [&](const torch::Tensor& x) { return d->forward(x); };
  auto real_d = real.to(device);
  auto loss = d->forward(fake).mean() - d->forward(real_d).mean() +
              wgan::gradient_penalty(critic, real_d, fake, 10.0, 1e-12, alpha.to(device));
  loss.backward();
  StepResult r{loss.item<double>(), {}};
  for (const auto& p : d->parameters()) r.grads.push_back(p.grad().cpu());
  return r;
}

bool check_cuda_matches_cpu(const BenchConfig& c) {
  torch::manual_seed(42);
  const int64_t b = 16;
  auto real = torch::rand({b, c.model.channels, c.model.resolution, c.model.resolution}) * 2 - 1;
  auto z = torch::randn({b, c.model.latent_dim});
  auto alpha = torch::rand({b});
  auto cpu = critic_step(c.model, torch::kCPU, real, z, alpha);
  auto gpu = critic_step(c.model, torch::Device(torch::kCUDA, 0), real, z, alpha);
  double worst = 0;
  for (size_t i = 0; i < cpu.grads.size(); ++i) {
    const double scale = std::max(cpu.grads[i].abs().max().item<double>(), 1e-6);
    worst = std::max(worst, (cpu.grads[i] - gpu.grads[i]).abs().max().item<double>() / scale);
  }
  const double loss_rel = std::abs(cpu.loss - gpu.loss) / std::max(std::abs(cpu.loss), 1e-6);
  const bool ok = loss_rel < 1e-3 && worst < 1e-2;
  std::printf("{\"check\":\"cuda_vs_cpu\",\"config\":\"%s\",\"loss_cpu\":%.8g,\"loss_cuda\":%.8g,"
              "\"loss_rel_err\":%.3g,\"grad_max_rel_err\":%.3g,\"ok\":%s}\n",
              c.name.c_str(), cpu.loss, gpu.loss, loss_rel, worst, ok ? "true" : "false");
  return ok;
}

void throughput(const BenchConfig& c, torch::Device device, int64_t steps, int64_t warmup) {
  const int64_t batch = 64;
  wgan::ImageDataset data{torch::randint(0, 256, {batch * 8, c.model.resolution, c.model.resolution, c.model.channels},
                                         torch::kUInt8),
                          "random"};
  wgan::TrainConfig config;
  config.model = c.model;
  config.batch = batch;
  config.steps = warmup + steps;
  config.device = device.is_cuda() ? "cuda" : "cpu";
  config.run_dir = "/tmp/wgan_gpu_check";
  wgan::resolve(config, data.size());
  wgan::Trainer trainer(config, data, true);
  for (int64_t i = 0; i < warmup; ++i) trainer.train_step();
  const auto start = std::chrono::steady_clock::now();
  for (int64_t i = 0; i < steps; ++i) trainer.train_step();  // each step ends with a host read: synced
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("{\"system\":\"wgan\",\"config\":\"%s\",\"device\":\"%s\",\"images_per_s\":%.1f,\"seconds\":%.3f,"
              "\"steps\":%lld}\n",
              c.name.c_str(), device.str().c_str(), static_cast<double>(steps * *config.n_critic * batch) / seconds,
              seconds, static_cast<long long>(steps));
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  const int64_t steps = argc > 1 ? std::stoll(argv[1]) : 50;
  const int64_t warmup = argc > 2 ? std::stoll(argv[2]) : 5;
  if (!torch::cuda::is_available()) {
    std::cerr << "gpu_check: no CUDA device visible to this LibTorch\n";
    return 2;
  }
  // Exact float32 for the comparison: TF32 would differ from the CPU by design.
  at::globalContext().setAllowTF32CuDNN(false);
  at::globalContext().setAllowTF32CuBLAS(false);
  bool ok = true;
  for (const auto& c : bench_configs()) ok = check_cuda_matches_cpu(c) && ok;
  at::globalContext().setAllowTF32CuDNN(true);  // LibTorch's default again, as in Python
  for (const auto& c : bench_configs()) throughput(c, torch::Device(torch::kCUDA, 0), steps, warmup);
  return ok ? 0 : 1;
}
