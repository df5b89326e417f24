// Training throughput on the CPU, wgan against the Python reference (bench/reference.py on
// Debian's python3-torch, the same LibTorch kernels), run alternately in one invocation. Prints a
// markdown report: images/s and ratio, estimated GFLOP/s against a measured matmul peak, and
// where wgan's time goes per phase. `make bench` writes it to docs/performance-cpu.md.
// Usage: wgan_train_speed [steps=6] [threads=0 (all cores)] [rounds=2]
#include <torch/torch.h>

#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <sstream>
#include <string>
#include <thread>

#include "flop_count.h"
#include "wgan/models/networks.h"
#include "wgan/train/trainer.h"

namespace {

struct BenchConfig {
  const char* name;
  int64_t resolution, channels, width;
  int64_t step_divisor;  // the 64x64 iteration costs ~8x the 32x32 one: fewer iterations keep the run short
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

WganRun run_wgan(const BenchConfig& c, int64_t steps, int64_t gp_every = 1) {
  wgan::ImageDataset data{torch::randint(0, 256, {64 * 8, c.resolution, c.resolution, c.channels}, torch::kUInt8),
                          "random"};
  wgan::TrainConfig config;
  config.model.resolution = c.resolution;
  config.model.channels = c.channels;
  config.model.width = c.width;
  config.gp_every = gp_every;
  config.batch = 64;
  config.steps = steps + 1;
  config.device = "cpu";
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

double run_python(const BenchConfig& c, int64_t steps, int threads) {
  const char* python = std::getenv("WGAN_PYTHON") ? std::getenv("WGAN_PYTHON") : "/usr/bin/python3";
  std::ostringstream cmd;
  cmd << python << " " << WGAN_SOURCE_DIR << "/bench/reference.py --resolution " << c.resolution << " --channels "
      << c.channels << " --width " << c.width << " --steps " << steps << " --warmup 1 --threads " << threads
      << " 2>/dev/null";
  FILE* pipe = ::popen(cmd.str().c_str(), "r");
  std::string out;
  std::array<char, 4096> buf{};
  while (pipe && std::fgets(buf.data(), buf.size(), pipe)) out += buf.data();
  if (pipe) ::pclose(pipe);
  const auto at = out.find("\"images_per_s\":");
  return at == std::string::npos ? 0.0 : std::stod(out.substr(at + 15));
}

}  // namespace

int main(int argc, char** argv) {
  const int64_t steps = argc > 1 ? std::atoll(argv[1]) : 6;
  int threads = argc > 2 ? std::atoi(argv[2]) : 0;
  const int rounds = argc > 3 ? std::atoi(argv[3]) : 2;
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  torch::set_num_threads(threads);

  const double peak = matmul_peak_gflops();
  std::printf("# CPU training throughput: wgan vs the Python reference\n\n");
  std::printf("Machine: %u hardware threads, LibTorch %s, %d threads for both systems. Matmul peak (2048x2048 "
              "float32, measured in this run): %.0f GFLOP/s.\n",
              std::thread::hardware_concurrency(), TORCH_VERSION, threads, peak);
  std::printf("One iteration: 5 critic steps with the gradient penalty + 1 generator step + EMA, batch 64. "
              "Best of %d alternating rounds of %lld iterations (64x64: %lld) each.\n\n",
              rounds, static_cast<long long>(steps), static_cast<long long>(std::max<int64_t>(1, steps / 3)));
  std::printf("| config | wgan img/s | Python img/s | ratio | wgan est. GFLOP/s | %% of matmul peak |\n");
  std::printf("|---|---|---|---|---|---|\n");

  const BenchConfig configs[] = {{"Fashion-MNIST 32x32x1, width 64", 32, 1, 64, 1},
                                 {"seed-sized 64x64x3, width 64", 64, 3, 64, 3}};
  std::vector<std::pair<std::string, WganRun>> breakdowns;
  for (const auto& c : configs) {
    WganRun best;
    double python = 0;
    const int64_t config_steps = std::max<int64_t>(1, steps / c.step_divisor);
    for (int r = 0; r < rounds; ++r) {
      auto run = run_wgan(c, config_steps);
      if (run.images_per_s > best.images_per_s) best = run;
      python = std::max(python, run_python(c, config_steps, threads));
    }
    const double flops = wgan_bench::flops_per_critic_image(c.resolution, c.channels, c.width);
    const double gflops = best.images_per_s * flops / 1e9;
    std::printf("| %s | %.0f | %.0f | %.2fx | %.1f | %.0f%% |\n", c.name, best.images_per_s, python,
                python > 0 ? best.images_per_s / python : 0.0, gflops, 100.0 * gflops / peak);
    std::fflush(stdout);
    breakdowns.emplace_back(c.name, best);
  }
  // The off-by-default speed option, same 32x32 networks: the penalty on every 4th critic step.
  {
    const auto& c = configs[0];
    WganRun best;
    for (int r = 0; r < rounds; ++r) {
      auto run = run_wgan(c, steps, 4);
      if (run.images_per_s > best.images_per_s) best = run;
    }
    std::printf("| %s, `--gp-every 4` (lazy penalty, not the same math) | %.0f | (as above) | %.2fx of wgan default | | |\n",
                c.name, best.images_per_s, best.images_per_s / breakdowns[0].second.images_per_s);
  }
  std::printf("\n## Where wgan's time goes (share of one training iteration)\n");
  for (const auto& [name, run] : breakdowns) {
    double total = 0;
    for (const auto& [phase, s] : run.phases) total += s;
    std::printf("\n%s:\n\n| phase | share |\n|---|---|\n", name.c_str());
    for (const auto& [phase, s] : run.phases) std::printf("| %s | %.1f%% |\n", phase.c_str() + 2, 100.0 * s / total);
  }
  return 0;
}
