// GPU check (run by bench/gpu_check.sh on a machine with CUDA): one WGAN-GP critic step on CUDA
// must match the CPU within tolerance, then training throughput on CUDA for the two benchmark
// configurations. Prints JSON lines; exit 1 when the step does not match.
#include <torch/torch.h>

#include <array>
#include <chrono>
#include <cstdlib>
#include <sstream>
#include <cstdio>
#include <iostream>
#include <string>

#include "flop_count.h"
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

// The other architecture and the conditional networks, at Fashion-MNIST's size: their speed on the
// eager and graph paths (issues 16, 17), after the main table.
std::vector<BenchConfig> extra_configs() {
  wgan::ModelConfig resnet;
  resnet.arch = "resnet";
  resnet.critic_norm = wgan::CriticNorm::kNone;
  wgan::ModelConfig cond;
  for (int k = 0; k < 10; ++k) cond.class_names.push_back("class " + std::to_string(k));
  cond.class_counts.assign(10, 1);
  return {{"fmnist32 resnet", resnet}, {"fmnist32 --cond", cond}};
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

// --cuda-graph against the eager path from the same seed: the same training, up to the order of
// float operations (fused Adam kernel, replayed random numbers). Prints the losses and weights.
void graph_matches_eager(const BenchConfig& c, int64_t steps) {
  wgan::ImageDataset data{torch::randint(0, 256, {64 * 8, c.model.resolution, c.model.resolution, c.model.channels},
                                         torch::kUInt8),
                          "random"};
  auto run = [&](bool graph, std::vector<torch::Tensor>& weights) {
    wgan::TrainConfig config;
    config.model = c.model;
    config.steps = steps;
    config.device = wgan::DeviceChoice::kCuda;
    config.gpu_data = wgan::GpuData::kOn;
    config.check_every = steps;
    config.log_every = steps;
    config.cuda_graph = graph;
    config.run_dir = "/tmp/wgan_gpu_check";
    wgan::resolve(config, data.size());
    wgan::Trainer trainer(config, data, true);
    wgan::StatsWindow sum;
    for (int64_t i = 0; i < steps; ++i) sum.add(trainer.train_step());
    for (const auto& p : trainer.generator().parameters()) weights.push_back(p.detach().cpu().clone());
    return sum;
  };
  try {
    std::vector<torch::Tensor> eager_w, graph_w;
    const auto eager = run(false, eager_w);
    const auto graph = run(true, graph_w);
    double worst = 0, scale = 0;
    for (size_t i = 0; i < eager_w.size(); ++i) {
      worst = std::max(worst, (eager_w[i] - graph_w[i]).abs().max().item<double>());
      scale = std::max(scale, eager_w[i].abs().max().item<double>());
    }
    std::printf("{\"check\":\"cuda_graph_vs_eager\",\"config\":\"%s\",\"steps\":%lld,\"eager_w\":%.6g,"
                "\"graph_w\":%.6g,\"eager_gp\":%.6g,\"graph_gp\":%.6g,\"eager_g\":%.6g,\"graph_g\":%.6g,"
                "\"weight_max_abs_diff\":%.3g,\"weight_max_abs\":%.3g}\n",
                c.name.c_str(), static_cast<long long>(steps), eager.mean("wasserstein"), graph.mean("wasserstein"),
                eager.mean("penalty"), graph.mean("penalty"), eager.mean("generator_loss"),
                graph.mean("generator_loss"), worst, scale);
  } catch (const std::exception& e) {
    std::printf("{\"check\":\"cuda_graph_vs_eager\",\"error\":\"%s\"}\n", std::string(e.what()).substr(0, 400).c_str());
  }
  std::fflush(stdout);
}

// A way of running the same iteration: wgan's speed options, or a Python reference flavour.
struct Variant {
  std::string name;
  int64_t check_every;     // 1 = read losses every step (the old path); 0 = deferred
  wgan::GpuData gpu_data;
  wgan::Precision precision;  // fp32 / bf16
  bool channels_last;
  bool cuda_graph = false;
};

std::vector<Variant> wgan_variants() {
  return {{"per-step reads, host batches, fp32", 1, wgan::GpuData::kOff, wgan::Precision::kFp32, false},
          {"deferred reads, GPU batches, fp32", 0, wgan::GpuData::kOn, wgan::Precision::kFp32, false},
          {"deferred, GPU batches, fp32, channels_last", 0, wgan::GpuData::kOn, wgan::Precision::kFp32, true},
          {"deferred, GPU batches, bf16", 0, wgan::GpuData::kOn, wgan::Precision::kBf16, false},
          {"deferred, GPU batches, bf16, channels_last", 0, wgan::GpuData::kOn, wgan::Precision::kBf16, true},
          {"CUDA graph, fp32", 0, wgan::GpuData::kOn, wgan::Precision::kFp32, false, true},
          {"CUDA graph, bf16", 0, wgan::GpuData::kOn, wgan::Precision::kBf16, false, true},
          {"CUDA graph, bf16, channels_last", 0, wgan::GpuData::kOn, wgan::Precision::kBf16, true, true}};
}

struct Timing {
  double images_per_s = 0;
  double host_share = 0;  // time the host took to enqueue the steps / the steps' wall time
};

Timing throughput(const BenchConfig& c, const Variant& v, torch::Device device, int64_t steps, int64_t warmup) {
  const int64_t batch = 64;
  wgan::ImageDataset data;
  data.images = torch::randint(0, 256, {batch * 8, c.model.resolution, c.model.resolution, c.model.channels},
                               torch::kUInt8);
  data.name = "random";
  if (c.model.conditional()) {
    data.labels = torch::randint(0, c.model.classes(), {data.size()}, torch::kInt64);
    data.class_names = c.model.class_names;
  }
  wgan::TrainConfig config;
  config.model = c.model;
  config.batch = batch;
  config.steps = warmup + steps + 7;  // the last step (which reads) is never timed; 5 more for the breakdown
  config.device = wgan::DeviceChoice::kCuda;
  config.precision = v.precision;
  config.channels_last = v.channels_last;
  config.gpu_data = v.gpu_data;
  config.check_every = v.check_every;
  config.cuda_graph = v.cuda_graph;
  config.log_every = 1000000;
  config.run_dir = "/tmp/wgan_gpu_check";
  wgan::resolve(config, data.size());
  wgan::Trainer trainer(config, data, true);
  for (int64_t i = 0; i < warmup; ++i) trainer.train_step();
  torch::cuda::synchronize();
  const auto start = std::chrono::steady_clock::now();
  for (int64_t i = 0; i < steps; ++i) trainer.train_step();
  const double host = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  torch::cuda::synchronize();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  Timing t;
  t.images_per_s = static_cast<double>(steps * *config.n_critic * batch) / seconds;
  t.host_share = host / seconds;
  if (v.check_every == 1 && !v.cuda_graph) {
    // Where the eager iteration's time goes, with a device sync at every phase boundary.
    trainer.phase_timer().enable(true);
    for (int64_t i = 0; i < 5 && trainer.state().step + 1 < config.total_steps; ++i) trainer.train_step();
    double total = 0;
    for (const auto& [phase, sec] : trainer.phase_timer().totals()) total += sec;
    std::string shares;
    for (const auto& [phase, sec] : trainer.phase_timer().totals())
      shares += (shares.empty() ? "" : ",") + ("\"" + phase.substr(2) + "\":" + c10::str(100.0 * sec / total));
    std::printf("{\"breakdown\":\"%s\",\"variant\":\"%s\",\"percent\":{%s}}\n", c.name.c_str(), v.name.c_str(),
                shares.c_str());
  }
  std::printf("{\"system\":\"wgan\",\"config\":\"%s\",\"variant\":\"%s\",\"images_per_s\":%.1f,\"seconds\":%.3f,"
              "\"host_share\":%.3f,\"steps\":%lld}\n",
              c.name.c_str(), v.name.c_str(), t.images_per_s, seconds, t.host_share, static_cast<long long>(steps));
  std::fflush(stdout);
  return t;
}

// bench/reference.py on the same card; returns its images/s (0 when it failed).
double python_reference(const BenchConfig& c, const std::string& flags, int64_t steps, int64_t warmup) {
  const char* python = std::getenv("PYTHON") ? std::getenv("PYTHON") : "python3";
  std::ostringstream cmd;
  cmd << python << " bench/reference.py --device cuda --resolution " << c.model.resolution << " --channels "
      << c.model.channels << " --steps " << steps << " --warmup " << warmup << " " << flags;
  FILE* pipe = ::popen(cmd.str().c_str(), "r");
  std::string out;
  std::array<char, 4096> buf{};
  while (pipe && std::fgets(buf.data(), buf.size(), pipe)) out += buf.data();
  if (pipe) ::pclose(pipe);
  std::printf("%s", out.c_str());
  std::fflush(stdout);
  const auto at = out.find("\"images_per_s\":");
  return at == std::string::npos ? 0.0 : std::stod(out.substr(at + 15));
}

// Best of a few large matrix products: what the card does when the work is not the bottleneck.
double matmul_peak_tflops(torch::ScalarType dtype) {
  auto opts = torch::TensorOptions().dtype(dtype).device(torch::kCUDA);
  auto a = torch::randn({8192, 8192}, opts), b = torch::randn({8192, 8192}, opts);
  torch::mm(a, b);
  torch::cuda::synchronize();
  double best = 1e30;
  for (int i = 0; i < 5; ++i) {
    const auto t = std::chrono::steady_clock::now();
    torch::mm(a, b);
    torch::cuda::synchronize();
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count());
  }
  return 2.0 * 8192.0 * 8192.0 * 8192.0 / best / 1e12;
}

}  // namespace

int main(int argc, char** argv) {
  const int64_t steps = argc > 1 ? std::stoll(argv[1]) : 40;
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
  graph_matches_eager(bench_configs().front(), 12);
  at::globalContext().setAllowTF32CuDNN(true);  // LibTorch's default again, as in Python
  at::globalContext().setAllowTF32CuBLAS(true);
  const double tf32_peak = matmul_peak_tflops(torch::kFloat32);
  const double bf16_peak = matmul_peak_tflops(torch::kBFloat16);
  std::printf("{\"peak_tflops_tf32\":%.1f,\"peak_tflops_bf16\":%.1f}\n", tf32_peak, bf16_peak);

  std::ostringstream table;
  table << "| config | variant | img/s | vs Python blog-style | vs Python same precision | host share | est. TFLOP/s "
           "| % of matmul peak |\n|---|---|---|---|---|---|---|---|\n";
  for (const auto& c : bench_configs()) {
    // The Python reference as a blog script runs it (fp32, losses read every step), then tuned
    // like wgan (no per-step reads), in fp32 and under bf16 autocast. Alternated with wgan.
    const double py_blog = python_reference(c, "", steps, warmup);
    const double flops = wgan_bench::flops_per_critic_image(c.model.resolution, c.model.channels, c.model.width);
    double py_fp32 = 0, py_bf16 = 0;
    for (const auto& v : wgan_variants()) {
      Timing t;
      try {
        t = throughput(c, v, torch::Device(torch::kCUDA, 0), steps, warmup);
      } catch (const std::exception& e) {
        std::printf("{\"system\":\"wgan\",\"config\":\"%s\",\"variant\":\"%s\",\"error\":\"%s\"}\n", c.name.c_str(),
                    v.name.c_str(), std::string(e.what()).substr(0, 300).c_str());
        std::fflush(stdout);
        continue;
      }
      if (v.precision == wgan::Precision::kFp32 && py_fp32 == 0) py_fp32 = python_reference(c, "--sync-every 0", steps, warmup);
      if (v.precision == wgan::Precision::kBf16 && py_bf16 == 0)
        py_bf16 = python_reference(c, "--sync-every 0 --precision bf16", steps, warmup);
      const double same = v.precision == wgan::Precision::kBf16 ? py_bf16 : py_fp32;
      const double tflops = t.images_per_s * flops / 1e12;
      const double peak = v.precision == wgan::Precision::kBf16 ? bf16_peak : tf32_peak;
      char row[512];
      std::snprintf(row, sizeof row, "| %s | %s | %.0f | %.2fx | %.2fx | %.0f%% | %.1f | %.1f%% |\n", c.name.c_str(),
                    v.name.c_str(), t.images_per_s, py_blog > 0 ? t.images_per_s / py_blog : 0.0,
                    same > 0 ? t.images_per_s / same : 0.0, 100.0 * t.host_share, tflops, 100.0 * tflops / peak);
      table << row;
    }
    char row[256];
    std::snprintf(row, sizeof row,
                  "| %s | Python: blog-style fp32 / tuned fp32 / tuned bf16 | %.0f / %.0f / %.0f | | | | | |\n",
                  c.name.c_str(), py_blog, py_fp32, py_bf16);
    table << row;
  }
  for (const auto& c : extra_configs()) {
    const bool resnet = c.model.arch == "resnet";
    const double py = resnet ? python_reference(c, "--arch resnet --sync-every 0 --precision bf16", steps, warmup) : 0;
    for (const auto& v : wgan_variants()) {
      if (v.precision != wgan::Precision::kBf16 || v.channels_last) continue;  // the two bf16 paths: deferred eager, graph
      try {
        const Timing t = throughput(c, v, torch::Device(torch::kCUDA, 0), steps, warmup);
        char row[512];
        std::snprintf(row, sizeof row, "| %s | %s | %.0f | | %s | %.0f%% | | |\n", c.name.c_str(), v.name.c_str(),
                      t.images_per_s, py > 0 ? (c10::str(t.images_per_s / py) + "x").c_str() : "",
                      100.0 * t.host_share);
        table << row;
      } catch (const std::exception& e) {
        std::printf("{\"system\":\"wgan\",\"config\":\"%s\",\"variant\":\"%s\",\"error\":\"%s\"}\n",
                    c.name.c_str(), v.name.c_str(), std::string(e.what()).substr(0, 300).c_str());
        std::fflush(stdout);
      }
    }
  }
  std::printf("\n%s", table.str().c_str());
  return ok ? 0 : 1;
}
