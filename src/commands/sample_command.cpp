#include "wgan/models/architecture.h"
#include "wgan/commands/sample_command.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <sstream>

#include "wgan/data/npy.h"
#include "wgan/io/image_grid.h"
#include "wgan/io/torch_pickle.h"
#include "wgan/run/checkpoint.h"
#include "wgan/generate/class_labels.h"
#include "wgan/generate/generate.h"
#include "wgan/generate/latent.h"
#include "wgan/run/generator_loader.h"
#include "wgan/util/device.h"
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

// --class "Coat,3" -> class indices; every class when the text is empty.
std::vector<int64_t> parse_classes(const ModelConfig& model, const std::string& text) {
  std::vector<int64_t> classes;
  if (text.empty()) {
    for (int64_t k = 0; k < model.classes(); ++k) classes.push_back(k);
    return classes;
  }
  std::stringstream stream(text);
  for (std::string name; std::getline(stream, name, ',');) classes.push_back(parse_class(model, name));
  if (classes.empty()) throw UserError("--class names no class");
  return classes;
}

}  // namespace

void validate(const SampleConfig& c) {
  if (c.checkpoint.empty()) throw UserError("--checkpoint is required");
  if (c.num < 0 || c.num > 100000) throw UserError("--num must be in 1..100000");
  if (c.nrow <= 0) throw UserError("--nrow must be positive");
  if (c.batch <= 0) throw UserError("--batch must be positive");
  if (!c.out_dir.empty() && !c.grid.empty()) throw UserError("give --out or --grid, not both");
  if (!c.interpolate.empty()) {
    parse_seed_pair(c.interpolate);
    if (c.steps < 2 || c.steps > 1024) throw UserError("--steps must be in 2..1024");
  }
}

std::vector<std::string> run_sample(const SampleConfig& c) {
  validate(c);
  const auto device = resolve_device(c.device);
  auto loaded = pytorch_state_dict_arch(c.arch) ? load_blog_generator(c.checkpoint, device)
                                                : load_generator(c.checkpoint, c.use_ema, device);
  const auto& model = loaded.config.model;
  if (!model.conditional() && !c.classes.empty())
    throw UserError("--class: " + loaded.source + " is an unconditional model (trained without --cond)");
  // A conditional model: the classes asked for, each with the same z (one strip or block per class).
  const std::vector<int64_t> classes = model.conditional() ? parse_classes(model, c.classes) : std::vector<int64_t>{-1};
  auto labels_for = [&](int64_t k, int64_t count) {
    return k < 0 ? torch::Tensor() : torch::full({count}, k, torch::kInt64);
  };
  std::vector<torch::Tensor> blocks;
  int64_t nrow = c.nrow;
  if (!c.interpolate.empty()) {
    const auto [seed_a, seed_b] = parse_seed_pair(c.interpolate);
    auto path = slerp_path(latent_for_seed(seed_a, model.latent_dim), latent_for_seed(seed_b, model.latent_dim), c.steps);
    torch::NoGradGuard no_grad;
    for (int64_t k : classes) {
      const auto labels = labels_for(k, c.steps);
      blocks.push_back(loaded.net->forward(path.to(device), labels.defined() ? labels.to(device) : labels).cpu());
    }
    nrow = c.steps;  // one strip per class
  } else {
    const int64_t per_class = c.num > 0 ? c.num : model.conditional() && c.classes.empty() ? c.nrow : 64;
    for (int64_t k : classes)
      blocks.push_back(generate(*loaded.net, model.latent_dim, per_class, c.seed, device, c.batch, labels_for(k, per_class)));
    // Each class starts a new grid row.
    if (model.conditional()) nrow = std::min(c.nrow, per_class);
  }
  const torch::Tensor images = torch::cat(blocks);
  const int64_t count = images.size(0);
  const int64_t per_block = count / static_cast<int64_t>(classes.size());
  std::vector<std::string> written;
  if (!c.out_dir.empty()) {
    ensure_writable_dir(c.out_dir);
    for (int64_t i = 0; i < count; ++i) {
      char name[64];
      const int64_t k = classes[static_cast<size_t>(i / per_block)];
      if (k < 0) {
        std::snprintf(name, sizeof name, "%06lld.png", static_cast<long long>(i));
      } else {  // the class index in the name: class names may hold any character
        std::snprintf(name, sizeof name, "class%03lld_%06lld.png", static_cast<long long>(k),
                      static_cast<long long>(i % per_block));
      }
      const std::string path = (fs::path(c.out_dir) / name).string();
      GridOptions single;
      single.nrow = 1;
      single.padding = 0;
      write_png(path, make_grid(images.narrow(0, i, 1), single));
      written.push_back(path);
    }
  } else {
    const std::string path = c.grid.empty() ? "samples.png" : c.grid;
    ensure_parent_dir(path);
    GridOptions grid;
    grid.nrow = nrow;
    write_png(path, make_grid(images, grid));
    written.push_back(path);
  }
  if (!c.npy.empty()) {
    ensure_parent_dir(c.npy);
    write_file_atomic(c.npy, float_npy_bytes(images));
    written.push_back(c.npy);
  }
  return written;
}

}  // namespace wgan
