#include "wgan/models/architecture.h"
#include "wgan/commands/export_command.h"

#include <filesystem>

#include "wgan/io/onnx_model.h"
#include "wgan/io/torch_pickle.h"
#include "wgan/io/web_page.h"
#include "wgan/run/checkpoint.h"
#include "wgan/run/generator_loader.h"
#include "wgan/util/atomic_file.h"
#include "wgan/util/error.h"
#include "wgan/util/version.h"

namespace fs = std::filesystem;

namespace wgan {

namespace {

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// What an exported model says about itself: ONNX metadata_props, and model.js for the web page.
nlohmann::json model_facts(const LoadedGenerator& loaded) {
  const auto& m = loaded.config.model;
  return {{"wgan_version", kWganVersion},
          {"arch", canonical_arch(m.arch)},
          {"resolution", m.resolution},
          {"channels", m.channels},
          {"latent_dim", m.latent_dim},
          {"step", loaded.step},
          {"weights", loaded.is_ema ? "ema" : "raw"},
          {"classes", m.class_names},  // a conditional model's class names, by index; [] otherwise
          {"source", fs::path(loaded.source).filename().string()}};
}

std::vector<std::pair<std::string, std::string>> onnx_metadata(const nlohmann::json& facts) {
  std::vector<std::pair<std::string, std::string>> metadata;
  for (const auto& [key, value] : facts.items())
    metadata.emplace_back("wgan." + key, value.is_string() ? value.get<std::string>() : value.dump());
  metadata.emplace_back("wgan.input",
                        "z: float32 [N, latent_dim], N(0, I); `wgan sample --seed S --num N` draws torch.randn(N, "
                        "latent_dim) from a CPU generator seeded with S" +
                            std::string(facts["classes"].empty() ? "" : "; class: int64 [N], an index into wgan.classes"));
  metadata.emplace_back("wgan.output", "images: float32 [N, channels, resolution, resolution] in [-1, 1]; "
                                       "pixel = round((x + 1) * 127.5)");
  return metadata;
}

}  // namespace

void validate(const ExportConfig& c) {
  if (c.checkpoint.empty()) throw UserError("--checkpoint is required");
  if (c.to.empty()) throw UserError("--to is required (FILE.pt, FILE.onnx, or a folder with --web)");
  if (c.web && (ends_with(c.to, ".pt") || ends_with(c.to, ".onnx")))
    throw UserError("--to " + c.to + " with --web must be a folder (the page and its files go into it)");
  if (!c.web && !ends_with(c.to, ".pt") && !ends_with(c.to, ".onnx"))
    throw UserError("--to " + c.to + ": end it in .pt (PyTorch state dict) or .onnx (ONNX model), or add --web "
                    "for a browser page in that folder");
  if (!c.ort_web.empty() && !c.web) throw UserError("--ort-web is for --web only");
  pytorch_state_dict_arch(c.arch);  // a UserError for an --arch that names no such file
}

std::vector<std::string> run_export(const ExportConfig& c) {
  validate(c);
  // Before loading anything: a missing runtime or library is the user's first error, not the last.
  const std::string ort_web = c.web ? find_onnxruntime_web(c.ort_web) : "";
  if ((c.web || ends_with(c.to, ".onnx")) && !onnx_export_available())
    throw UserError("this wgan was built without ONNX support: install libonnx-dev and rebuild (make build)");
  auto loaded = pytorch_state_dict_arch(c.arch) ? load_blog_generator(c.checkpoint, torch::kCPU)
                                                : load_generator(c.checkpoint, c.use_ema, torch::kCPU);
  if (loaded.growing_at > 0)
    throw UserError(loaded.source + " has grown to " + std::to_string(loaded.growing_at) + "x" +
                    std::to_string(loaded.growing_at) + " of " + std::to_string(loaded.config.model.resolution) + "x" +
                    std::to_string(loaded.config.model.resolution) + " (--grow): train it on (wgan train --resume with a "
                    "longer --steps) and export the grown generator");
  const auto facts = model_facts(loaded);
  if (ends_with(c.to, ".pt")) {
    ensure_parent_dir(c.to);
    save_torch_state_dict(c.to, module_state(*loaded.net));
    // Beside it, what a state dict cannot hold: the networks' shape, the class names, how to call it.
    const std::string facts_file = c.to.substr(0, c.to.size() - 3) + ".json";
    auto described = facts;
    described["call"] = loaded.config.model.conditional()
                            ? "G(z, labels): z float32 [N, latent_dim] ~ N(0, I), labels int64 [N] indexing classes; "
                              "returns images [N, channels, resolution, resolution] in [-1, 1] (docs/export.md)"
                            : "G(z): z float32 [N, latent_dim] ~ N(0, I); returns images [N, channels, resolution, "
                              "resolution] in [-1, 1] (docs/export.md)";
    described["width"] = loaded.config.model.width;
    write_file_atomic(facts_file, described.dump(2) + "\n");
    return {c.to, facts_file};
  }
  const auto onnx = generator_to_onnx(*loaded.net, loaded.config.model, onnx_metadata(facts));
  if (c.web) {
    write_web_page(c.to, onnx, facts, ort_web);
    return {c.to};
  }
  ensure_parent_dir(c.to);
  write_file_atomic(c.to, onnx);
  return {c.to};
}

}  // namespace wgan
