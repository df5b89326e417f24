// Training throughput on the CPU, wgan against the Python reference (bench/reference.py on
// Debian's python3-torch, the same LibTorch kernels), run alternately in one invocation. Prints a
// markdown report: images/s and ratio, estimated GFLOP/s against a measured matmul peak, and
// where wgan's time goes per phase. `make bench` writes it to docs/performance-cpu.md.
// Both precisions (fp32, and what --precision auto picks), and the generator layers with either kernel.
// Usage: wgan_train_speed [steps=6] [threads=0 (all cores)] [rounds=2]
#include <torch/torch.h>

#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "flop_count.h"
#include "wgan/models/networks.h"
#include "wgan/models/upsample_conv.h"
#include "wgan/models/precision.h"
#include "wgan/train/trainer.h"

namespace {

struct BenchConfig {
  const char* name;
  int64_t resolution, channels, width;
  int64_t step_divisor;  // the 64x64 iteration costs ~8x the 32x32 one: fewer iterations keep the run short
  const char* arch = "dcgan";
};

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

double matmul_peak_gflops() {
  auto a = torch::randn({2048, 2048}), b = torch::randn({2048, 2048});
  torch::mm(a, b);
  double best = 1e30;
  for (int i = 0; i < 5; ++i) {
    const auto t = std::chrono::steady_clock::now();
    torch::mm(a, b);
    best = std::min(best, seconds_since(t));
  }
  return 2.0 * 2048 * 2048 * 2048 / best / 1e9;
}

struct WganRun {
  double images_per_s = 0;
  std::map<std::string, double> phases;
};

// One wgan variant: the precision (fp32 / bf16) and memory layout of the networks.
struct Variant {
  wgan::Precision precision = wgan::Precision::kFp32;
  bool channels_last = false;
  int64_t gp_every = 1;
};

WganRun run_wgan(const BenchConfig& c, int64_t steps, const Variant& v) {
  wgan::ImageDataset data{torch::randint(0, 256, {64 * 8, c.resolution, c.resolution, c.channels}, torch::kUInt8),
                          "random"};
  wgan::TrainConfig config;
  config.model.resolution = c.resolution;
  config.model.channels = c.channels;
  config.model.width = c.width;
  config.model.arch = c.arch;
  wgan::apply_arch_defaults(config, {});  // resnet's critic norm, as a run gets it
  config.gp_every = v.gp_every;
  config.precision = v.precision;
  config.channels_last = v.channels_last;
  config.batch = 64;
  config.steps = steps + 1;
  config.device = wgan::DeviceChoice::kCpu;
  config.run_dir = "/tmp/wgan_train_speed";
  wgan::resolve(config, data.size());
  wgan::Trainer trainer(config, data, true);
  trainer.train_step();  // warm-up: allocator, oneDNN kernels
  trainer.phase_timer().enable(true);
  const auto t = std::chrono::steady_clock::now();
  for (int64_t i = 0; i < steps; ++i) trainer.train_step();
  WganRun r;
  r.images_per_s = static_cast<double>(steps * *config.n_critic * config.batch) / seconds_since(t);
  r.phases = trainer.phase_timer().totals();
  return r;
}

double run_python(const BenchConfig& c, int64_t steps, int threads, const std::string& flags = "") {
  const char* python = std::getenv("WGAN_PYTHON") ? std::getenv("WGAN_PYTHON") : "/usr/bin/python3";
  std::ostringstream cmd;
  cmd << python << " " << WGAN_SOURCE_DIR << "/bench/reference.py --arch " << c.arch << " --resolution " << c.resolution
      << " --channels " << c.channels << " --width " << c.width << " --steps " << steps << " --warmup 1 --threads " << threads << " "
      << flags << " 2>/dev/null";
  FILE* pipe = ::popen(cmd.str().c_str(), "r");
  std::string out;
  std::array<char, 4096> buf{};
  while (pipe && std::fgets(buf.data(), buf.size(), pipe)) out += buf.data();
  if (pipe) ::pclose(pipe);
  const auto at = out.find("\"images_per_s\":");
  return at == std::string::npos ? 0.0 : std::stod(out.substr(at + 15));
}

// Forward + backward of one generator layer (batch 64) in ms, best of `repeats`.
double layer_ms(int64_t in, int64_t out, int64_t side, wgan::UpsampleKernel kernel, bool bf16, int repeats = 3) {
  wgan::UpsampleConv layer(in, out, /*from_1x1=*/side == 1, /*bias=*/false);
  layer->set_kernel(kernel);
  auto x = torch::randn({64, in, side, side});
  double best = 1e30;
  for (int i = 0; i <= repeats; ++i) {  // the first run builds oneDNN's kernels and is not counted
    const auto t = std::chrono::steady_clock::now();
    auto input = x.clone().requires_grad_(true);
    torch::Tensor y;
    {
      wgan::AutocastScope autocast(torch::kCPU, bf16);
      y = layer->forward(input);
    }
    y.to(torch::kFloat32).sum().backward();
    if (i > 0) best = std::min(best, seconds_since(t) * 1000);
  }
  return best;
}

void print_layer_table() {
  std::printf("\n## The generator's layers (the blog post's 64x64 generator, batch 64, forward + backward)\n\n");
  std::printf("| layer | transposed conv, fp32 | phases, fp32 | phases, bf16 | fp32 speed-up | bf16 speed-up |\n");
  std::printf("|---|---|---|---|---|---|\n");
  const int64_t shapes[][3] = {{100, 512, 1}, {512, 256, 4}, {256, 128, 8}, {128, 64, 16}, {64, 3, 32}};
  for (const auto& s : shapes) {
    const double transposed = layer_ms(s[0], s[1], s[2], wgan::UpsampleKernel::kTransposed, false);
    const double phases = layer_ms(s[0], s[1], s[2], wgan::UpsampleKernel::kPhases, false);
    const double phases_bf16 = layer_ms(s[0], s[1], s[2], wgan::UpsampleKernel::kPhases, true);
    const int64_t out_side = s[2] == 1 ? 4 : 2 * s[2];
    std::printf("| %lld->%lld, %lldx%lld->%lldx%lld | %.1f ms | %.1f ms | %.1f ms | %.1fx | %.1fx |\n",
                static_cast<long long>(s[0]), static_cast<long long>(s[1]), static_cast<long long>(s[2]),
                static_cast<long long>(s[2]), static_cast<long long>(out_side), static_cast<long long>(out_side),
                transposed, phases, phases_bf16, transposed / phases, transposed / phases_bf16);
    std::fflush(stdout);
  }
}

std::string cpu_flags() {
  std::ifstream in("/proc/cpuinfo");
  std::string line, model, flags;
  while (std::getline(in, line)) {
    if (model.empty() && line.rfind("model name", 0) == 0) model = line.substr(line.find(':') + 2);
    if (flags.empty() && line.rfind("flags", 0) == 0) flags = line.substr(line.find(':') + 2);
  }
  std::string relevant;
  for (const char* f : {"avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16", "amx_bf16", "amx_tile"})
    if ((" " + flags + " ").find(std::string(" ") + f + " ") != std::string::npos) relevant += std::string(" ") + f;
  return model + ";" + (relevant.empty() ? " none of avx2/avx512/amx" : relevant);
}

}  // namespace

int main(int argc, char** argv) {
  const int64_t steps = argc > 1 ? std::atoll(argv[1]) : 6;
  int threads = argc > 2 ? std::atoi(argv[2]) : 0;
  const int rounds = argc > 3 ? std::atoi(argv[3]) : 2;
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  torch::set_num_threads(threads);
  const wgan::Precision automatic = wgan::resolve_precision(wgan::Precision::kAuto, torch::kCPU);

  const double peak = matmul_peak_gflops();
  std::printf("# CPU training throughput: wgan vs the Python reference\n\n");
  std::printf("Machine: %u hardware threads (%s), LibTorch %s, %d threads for both systems. Matmul peak "
              "(2048x2048 float32, measured in this run): %.0f GFLOP/s. `--precision auto` chooses %s here.\n",
              std::thread::hardware_concurrency(), cpu_flags().c_str(), TORCH_VERSION, threads, peak,
              wgan::name_of(automatic));
  std::printf("One iteration: 5 critic steps with the gradient penalty + 1 generator step + EMA, batch 64. "
              "Best of %d alternating rounds of %lld iterations (64x64: %lld) each. Python is bench/reference.py: "
              "the blog-style loop (float32, NCHW, torch's transposed convolutions); its channels-last and bf16 "
              "flavours are shown for honesty. Ratios are wgan over Python blog-style.\n\n",
              rounds, static_cast<long long>(steps), static_cast<long long>(std::max<int64_t>(1, steps / 3)));
  std::printf("| config | wgan fp32 | wgan auto (%s) | Python fp32 | Python fp32 channels-last | Python bf16 "
              "channels-last | fp32 ratio | auto ratio | wgan auto est. GFLOP/s |\n",
              wgan::name_of(automatic));
  std::printf("|---|---|---|---|---|---|---|---|---|\n");

  const BenchConfig configs[] = {{"Fashion-MNIST 32x32x1, width 64", 32, 1, 64, 1},
                                 {"seed-sized 64x64x3, width 64", 64, 3, 64, 3},
                                 {"Fashion-MNIST 32x32x1, resnet width 32", 32, 1, 32, 2, "resnet"}};
  std::vector<std::pair<std::string, WganRun>> breakdowns;
  Variant fp32, autov;
  autov.precision = automatic;
  for (const auto& c : configs) {
    WganRun best_fp32, best_auto;
    double python = 0, python_cl = 0, python_bf16 = 0;
    const int64_t config_steps = std::max<int64_t>(1, steps / c.step_divisor);
    for (int r = 0; r < rounds; ++r) {
      auto a = run_wgan(c, config_steps, fp32);
      if (a.images_per_s > best_fp32.images_per_s) best_fp32 = a;
      auto b = run_wgan(c, config_steps, autov);
      if (b.images_per_s > best_auto.images_per_s) best_auto = b;
      python = std::max(python, run_python(c, config_steps, threads));
      python_cl = std::max(python_cl, run_python(c, config_steps, threads, "--channels-last"));
      python_bf16 = std::max(python_bf16, run_python(c, config_steps, threads, "--channels-last --precision bf16"));
    }
    // The FLOP count is of the DCGAN layers (flop_count.h); resnet's is not modelled.
    const bool dcgan = std::string(c.arch) == "dcgan";
    const double gflops =
        dcgan ? best_auto.images_per_s * wgan_bench::flops_per_critic_image(c.resolution, c.channels, c.width) / 1e9 : 0;
    char gflops_text[32] = "-";
    if (dcgan) std::snprintf(gflops_text, sizeof gflops_text, "%.0f", gflops);
    std::printf("| %s | %.0f | %.0f | %.0f | %.0f | %.0f | **%.2fx** | **%.2fx** | %s |\n", c.name,
                best_fp32.images_per_s, best_auto.images_per_s, python, python_cl, python_bf16,
                python > 0 ? best_fp32.images_per_s / python : 0.0, python > 0 ? best_auto.images_per_s / python : 0.0,
                gflops_text);
    std::fflush(stdout);
    breakdowns.emplace_back(std::string(c.name) + ", fp32", best_fp32);
    breakdowns.emplace_back(std::string(c.name) + ", " + wgan::name_of(automatic), best_auto);
  }
  // The off-by-default speed option, same 32x32 networks: the penalty on every 4th critic step.
  {
    const auto& c = configs[0];
    Variant lazy = autov;
    lazy.gp_every = 4;
    WganRun best;
    for (int r = 0; r < rounds; ++r) {
      auto run = run_wgan(c, steps, lazy);
      if (run.images_per_s > best.images_per_s) best = run;
    }
    std::printf("\n`--gp-every 4` (lazy penalty, not the same math), %s, auto: %.0f img/s, %.2fx of wgan auto.\n",
                c.name, best.images_per_s, best.images_per_s / breakdowns[1].second.images_per_s);
  }
  std::printf("\n## Where wgan's time goes (share of one training iteration)\n");
  std::printf("\n| phase |");
  for (const auto& [name, run] : breakdowns) std::printf(" %s |", name.c_str());
  std::printf("\n|---|");
  for (size_t i = 0; i < breakdowns.size(); ++i) std::printf("---|");
  std::printf("\n");
  for (const auto& [phase, unused] : breakdowns.front().second.phases) {
    std::printf("| %s |", phase.c_str() + 2);
    for (const auto& [name, run] : breakdowns) {
      double total = 0;
      for (const auto& [p, s] : run.phases) total += s;
      const auto it = run.phases.find(phase);
      std::printf(" %.1f%% |", it == run.phases.end() ? 0.0 : 100.0 * it->second / total);
    }
    std::printf("\n");
  }
  print_layer_table();
  return 0;
}
