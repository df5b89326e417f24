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
#include "wgan/util/stop_request.h"

namespace fs = std::filesystem;

namespace wgan {


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

LoadedGenerator load_blog_generator(const std::string& torch_file, torch::Device device) {
  const auto tensors = load_torch_file(torch_file);
  LoadedGenerator loaded;
  loaded.config.model.arch = "blog";
  loaded.config.model.resolution = 64;
  loaded.config.model.channels = 3;
  loaded.source = torch_file;
  loaded.net = make_generator(loaded.config.model);
  std::map<std::string, torch::Tensor> by_name(tensors.begin(), tensors.end());
  torch::NoGradGuard no_grad;
  for (auto& [name, target] : module_state(*loaded.net)) {
    auto it = by_name.find(name);
    if (it == by_name.end())
      throw UserError(torch_file + " lacks " + name + ": not the blog post's Generator state dict");
    if (it->second.sizes() != target.sizes()) {
      throw UserError(torch_file + ": " + name + " has shape " + c10::str(it->second.sizes()) +
                      ", the blog post's Generator has " + c10::str(target.sizes()));
    }
    target.copy_(it->second);
  }
  loaded.net->to(device);
  loaded.net->eval();
  return loaded;
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
                       int64_t batch, const torch::Tensor& labels) {
  torch::NoGradGuard no_grad;
  // z is drawn on the CPU from a private generator: the same seed gives the same z on any device.
  auto rng = at::detail::createCPUGenerator(seed);
  auto z = torch::randn({count, latent_dim}, rng, torch::TensorOptions().dtype(torch::kFloat32));
  std::vector<torch::Tensor> chunks;
  for (int64_t start = 0; start < count; start += batch) {
    abandon_if_stopped();  // a quality evaluation during training gives way to a stop signal
    const int64_t size = std::min(batch, count - start);
    const auto chunk_labels = labels.defined() ? labels.narrow(0, start, size).to(device) : torch::Tensor();
    chunks.push_back(net.forward(z.narrow(0, start, size).to(device), chunk_labels).cpu());
  }
  return torch::cat(chunks);
}

torch::Tensor class_cdf(const ModelConfig& model) {
  if (!model.conditional()) return {};
  auto counts = torch::tensor(model.class_counts, torch::kFloat64);
  if (counts.numel() != model.classes() || !(counts.sum().item<double>() > 0))
    counts = torch::ones({model.classes()}, torch::kFloat64);  // no counts recorded: uniform
  return counts.cumsum(0) / counts.sum();
}

torch::Tensor labels_at_class_frequencies(const ModelConfig& model, int64_t count) {
  if (!model.conditional()) return {};
  const auto cdf = class_cdf(model);
  // Evenly spaced points of [0, 1): no randomness, so every evaluation asks for the same classes.
  const auto points = (torch::arange(count, torch::kFloat64) + 0.5) / static_cast<double>(count);
  return torch::searchsorted(cdf, points, /*out_int32=*/false, /*right=*/true).clamp_max_(model.classes() - 1);
}

int64_t parse_class(const ModelConfig& model, const std::string& text) {
  if (!model.conditional()) throw UserError("--class: this model is unconditional (trained without --cond)");
  for (int64_t i = 0; i < model.classes(); ++i)
    if (model.class_names[static_cast<size_t>(i)] == text) return i;
  if (!text.empty() && text.find_first_not_of("0123456789") == std::string::npos && text.size() < 10) {
    const int64_t index = std::stoll(text);
    if (index < model.classes()) return index;
  }
  std::string known;
  for (int64_t i = 0; i < model.classes(); ++i)
    known += (i ? ", " : "") + std::to_string(i) + " " + model.class_names[static_cast<size_t>(i)];
  throw UserError("--class '" + text + "' is not a class of this model (" + known + ")");
}

}  // namespace wgan
