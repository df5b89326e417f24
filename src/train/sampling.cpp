#include "wgan/train/sampling.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <iostream>

#include "wgan/io/image_grid.h"
#include "wgan/io/torch_pickle.h"
#include "wgan/train/checkpoint.h"
#include "wgan/train/trainer.h"
#include "wgan/util/atomic_file.h"
#include "wgan/util/error.h"

namespace fs = std::filesystem;

namespace wgan {

namespace {

// "SEED_A,SEED_B" -> the two seeds; UserError naming --interpolate otherwise.
std::pair<uint64_t, uint64_t> parse_seed_pair(const std::string& text) {
  const auto comma = text.find(',');
  const bool well_formed = comma != std::string::npos && comma > 0 && comma + 1 < text.size() &&
                           text.find_first_not_of("0123456789,") == std::string::npos &&
                           text.find(',', comma + 1) == std::string::npos;
  if (!well_formed) throw UserError("--interpolate '" + text + "' must be SEED_A,SEED_B (two non-negative integers)");
  try {
    return {std::stoull(text.substr(0, comma)), std::stoull(text.substr(comma + 1))};
  } catch (const std::out_of_range&) {
    throw UserError("--interpolate '" + text + "': a seed is larger than 64 bits");
  }
}

}  // namespace

void validate(const SampleConfig& c) {
  if (c.checkpoint.empty()) throw UserError("--checkpoint is required");
  if (c.num <= 0 || c.num > 100000) throw UserError("--num must be in 1..100000");
  if (c.nrow <= 0) throw UserError("--nrow must be positive");
  if (c.batch <= 0) throw UserError("--batch must be positive");
  if (!c.out_dir.empty() && !c.grid.empty()) throw UserError("give --out or --grid, not both");
  if (!c.interpolate.empty()) {
    parse_seed_pair(c.interpolate);
    if (c.steps < 2 || c.steps > 1024) throw UserError("--steps must be in 2..1024");
  }
}

LoadedGenerator load_generator(const std::string& checkpoint_or_run_dir, bool use_ema, torch::Device device) {
  const std::string file = resolve_checkpoint(checkpoint_or_run_dir);
  CheckpointReader reader(file, device);
  LoadedGenerator loaded;
  loaded.config = reader.config();
  loaded.source = file;
  loaded.step = reader.state().step;
  loaded.net = make_generator(loaded.config.model);
  loaded.net->to(device);
  loaded.is_ema = use_ema && reader.has("G_ema");
  if (use_ema && !loaded.is_ema) std::cerr << "note: " << file << " has no EMA generator; using G\n";
  reader.load_module(loaded.is_ema ? "G_ema" : "G", *loaded.net);
  loaded.net->eval();
  return loaded;
}

LoadedGenerator load_seed_generator(const std::string& torch_file, torch::Device device) {
  const auto tensors = load_torch_file(torch_file);
  LoadedGenerator loaded;
  loaded.config.model.arch = "seed";
  loaded.config.model.resolution = 64;
  loaded.config.model.channels = 3;
  loaded.source = torch_file;
  loaded.net = make_generator(loaded.config.model);
  std::map<std::string, torch::Tensor> by_name(tensors.begin(), tensors.end());
  torch::NoGradGuard no_grad;
  for (auto& [name, target] : module_state(*loaded.net)) {
    auto it = by_name.find(name);
    if (it == by_name.end()) throw UserError(torch_file + " lacks " + name + ": not the seed's Generator state dict");
    if (it->second.sizes() != target.sizes()) {
      throw UserError(torch_file + ": " + name + " has shape " + c10::str(it->second.sizes()) + ", the seed's Generator has " +
                      c10::str(target.sizes()));
    }
    target.copy_(it->second);
  }
  loaded.net->to(device);
  loaded.net->eval();
  return loaded;
}

void export_generator(const std::string& checkpoint_or_run_dir, bool use_ema, const std::string& to) {
  if (to.empty()) throw UserError("--to FILE.pt is required");
  auto loaded = load_generator(checkpoint_or_run_dir, use_ema, torch::kCPU);
  const auto parent = fs::path(to).parent_path();
  if (!parent.empty()) ensure_writable_dir(parent.string());
  save_torch_state_dict(to, module_state(*loaded.net));
}

torch::Tensor latent_for_seed(uint64_t seed, int64_t latent_dim) {
  auto rng = at::detail::createCPUGenerator(seed);
  return torch::randn({1, latent_dim}, rng, torch::TensorOptions().dtype(torch::kFloat32))[0];
}

torch::Tensor slerp_path(const torch::Tensor& a, const torch::Tensor& b, int64_t steps) {
  auto t = torch::linspace(0.0, 1.0, steps, torch::kFloat64).unsqueeze(1);
  auto a64 = a.to(torch::kFloat64), b64 = b.to(torch::kFloat64);
  const double cos_omega = std::clamp((a64 / a64.norm()).dot(b64 / b64.norm()).item<double>(), -1.0, 1.0);
  const double omega = std::acos(cos_omega);
  torch::Tensor path;
  if (std::sin(omega) < 1e-6) {
    path = (1 - t) * a64 + t * b64;
  } else {
    path = (torch::sin((1 - t) * omega) * a64 + torch::sin(t * omega) * b64) / std::sin(omega);
  }
  return path.to(a.scalar_type());
}

torch::Tensor generate(GeneratorNet& net, int64_t latent_dim, int64_t count, uint64_t seed, torch::Device device,
                       int64_t batch) {
  torch::NoGradGuard no_grad;
  // z is drawn on the CPU from a private generator: the same seed gives the same z on any device.
  auto rng = at::detail::createCPUGenerator(seed);
  auto z = torch::randn({count, latent_dim}, rng, torch::TensorOptions().dtype(torch::kFloat32));
  std::vector<torch::Tensor> chunks;
  for (int64_t start = 0; start < count; start += batch) {
    chunks.push_back(net.forward(z.narrow(0, start, std::min(batch, count - start)).to(device)).cpu());
  }
  return torch::cat(chunks);
}

std::vector<std::string> run_sample(const SampleConfig& c) {
  validate(c);
  const auto device = resolve_device(c.device);
  if (!c.arch.empty() && c.arch != "seed") throw UserError("--arch '" + c.arch + "': only seed is read from a PyTorch file");
  auto loaded = c.arch == "seed" ? load_seed_generator(c.checkpoint, device) : load_generator(c.checkpoint, c.use_ema, device);
  torch::Tensor images;
  int64_t nrow = c.nrow;
  if (!c.interpolate.empty()) {
    const auto [seed_a, seed_b] = parse_seed_pair(c.interpolate);
    const int64_t latent = loaded.config.model.latent_dim;
    auto path = slerp_path(latent_for_seed(seed_a, latent), latent_for_seed(seed_b, latent), c.steps);
    torch::NoGradGuard no_grad;
    images = loaded.net->forward(path.to(device)).cpu();
    nrow = c.steps;  // one strip
  } else {
    images = generate(*loaded.net, loaded.config.model.latent_dim, c.num, c.seed, device, c.batch);
  }
  const int64_t count = images.size(0);
  std::vector<std::string> written;
  if (!c.out_dir.empty()) {
    ensure_writable_dir(c.out_dir);
    for (int64_t i = 0; i < count; ++i) {
      char name[32];
      std::snprintf(name, sizeof name, "%06lld.png", static_cast<long long>(i));
      const std::string path = (fs::path(c.out_dir) / name).string();
      GridOptions single;
      single.nrow = 1;
      single.padding = 0;
      write_png(path, make_grid(images.narrow(0, i, 1), single));
      written.push_back(path);
    }
  } else {
    const std::string path = c.grid.empty() ? "samples.png" : c.grid;
    const auto parent = fs::path(path).parent_path();
    if (!parent.empty()) ensure_writable_dir(parent.string());
    GridOptions grid;
    grid.nrow = nrow;
    write_png(path, make_grid(images, grid));
    written.push_back(path);
  }
  return written;
}

}  // namespace wgan
