#include "wgan/run/checkpoint.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "wgan/io/zip_records.h"
#include "wgan/util/atomic_file.h"
#include "wgan/util/error.h"
#include "wgan/util/printable.h"

namespace fs = std::filesystem;

namespace wgan {
namespace {

constexpr const char* kFormat = "wgan-checkpoint";
constexpr int64_t kVersion = 1;

void write_module(torch::serialize::OutputArchive& archive, const std::string& key, torch::nn::Module& module) {
  torch::serialize::OutputArchive sub;
  module.save(sub);
  archive.write(key, sub);
}

void write_optimizer(torch::serialize::OutputArchive& archive, const std::string& key,
                     torch::optim::Optimizer& optimizer) {
  torch::serialize::OutputArchive sub;
  optimizer.save(sub);
  archive.write(key, sub);
}

// The first non-empty line of a LibTorch message (they run to a source listing), made printable.
std::string first_line(const std::string& message) {
  const size_t start = message.find_first_not_of("\n ");
  if (start == std::string::npos) return "no reason given";
  return printable(message.substr(start, message.find('\n', start) - start), 160);
}

torch::Tensor generator_state(at::Generator generator) {
  std::lock_guard<std::mutex> lock(generator.mutex());
  return generator.get_state();
}

}  // namespace

void save_checkpoint(const std::string& path, const CheckpointParts& p) {
  torch::serialize::OutputArchive archive;
  archive.write("format", c10::IValue(std::string(kFormat)));
  archive.write("version", c10::IValue(kVersion));
  archive.write("config", c10::IValue(to_json(*p.config).dump()));
  archive.write("step", c10::IValue(p.state->step));
  archive.write("real_batches", c10::IValue(p.state->real_batches));
  archive.write("g_images", c10::IValue(p.state->g_images));
  archive.write("train_seconds", c10::IValue(p.state->train_seconds));
  archive.write("augment_p", c10::IValue(p.state->augment_p));
  if (!p.state->ada_smoothing.empty())
    archive.write("ada_smoothing", torch::tensor(p.state->ada_smoothing, torch::kFloat64));
  write_module(archive, "G", *p.generator);
  if (p.critic) write_module(archive, "D", *p.critic);
  if (p.generator_ema) write_module(archive, "G_ema", *p.generator_ema);
  if (p.generator_opt) write_optimizer(archive, "opt_G", *p.generator_opt);
  if (p.critic_opt) write_optimizer(archive, "opt_D", *p.critic_opt);
  if (p.fixed_z.defined()) archive.write("fixed_z", p.fixed_z.cpu());
  archive.write("rng_cpu", generator_state(at::detail::getDefaultCPUGenerator()));
  if (torch::cuda::is_available()) {
    archive.write("rng_cuda", generator_state(at::globalContext().defaultGenerator(torch::Device(torch::kCUDA, 0))));
  }
  // Serialised in memory first: LibTorch's zip writer cannot report a failed write (it aborts from a
  // destructor), so the bytes reach the disk through our writer, which turns ENOSPC into an error.
  std::string bytes;
  archive.save_to([&bytes](const void* data, size_t size) -> size_t {
    bytes.append(static_cast<const char*>(data), size);
    return size;
  });
  write_file_atomic(path, bytes);
}

CheckpointReader::CheckpointReader(const std::string& path, torch::Device device) : path_(path) {
  if (!fs::exists(path)) throw UserError("checkpoint " + path + " does not exist");
  if (fs::is_directory(path)) throw UserError("checkpoint " + path + " is a directory, not a file");
  // Every record's CRC-32 first: LibTorch's reader would load changed bytes as changed weights.
  verify_zip_records(path, "checkpoint");
  try {
    archive_.load_from(path, device);
  } catch (const std::exception& e) {
    // c10::Error, or TorchScript's ErrorReport when a record it needs is missing (fuzzing found it).
    throw UserError("checkpoint " + path + " cannot be read (truncated, or not a wgan checkpoint): " +
                    first_line(e.what()));
  }
  c10::IValue format, version, config, value;
  if (!archive_.try_read("format", format) || !format.isString() || format.toStringRef() != kFormat) {
    throw UserError("checkpoint " + path + " is not a wgan checkpoint (no wgan format tag)");
  }
  if (!archive_.try_read("version", version) || !version.isInt() || version.toInt() > kVersion) {
    throw UserError("checkpoint " + path + " has an unsupported format version");
  }
  if (!archive_.try_read("config", config) || !config.isString()) {
    throw UserError("checkpoint " + path + " has no config");
  }
  try {
    config_ = train_config_from_json(nlohmann::json::parse(config.toStringRef()));
  } catch (const nlohmann::json::exception& e) {
    throw UserError("checkpoint " + path + " has a malformed config: " + printable(e.what(), 160));
  } catch (const UserError& e) {
    throw UserError("checkpoint " + path + " has a malformed config: " + e.what());
  }
  auto read_int = [&](const char* key) {
    if (!archive_.try_read(key, value) || !value.isInt()) throw UserError("checkpoint " + path + " lacks " + key);
    return value.toInt();
  };
  state_.step = read_int("step");
  state_.real_batches = read_int("real_batches");
  state_.g_images = read_int("g_images");
  if (archive_.try_read("train_seconds", value) && value.isDouble()) state_.train_seconds = value.toDouble();
  if (archive_.try_read("augment_p", value) && value.isDouble()) state_.augment_p = value.toDouble();
  torch::Tensor smoothing;
  if (archive_.try_read("ada_smoothing", smoothing) && smoothing.dim() == 1) {
    smoothing = smoothing.to(torch::kCPU, torch::kFloat64).contiguous();
    state_.ada_smoothing.assign(smoothing.data_ptr<double>(), smoothing.data_ptr<double>() + smoothing.numel());
  }
}

bool CheckpointReader::has(const std::string& key) {
  torch::serialize::InputArchive sub;
  return archive_.try_read(key, sub);
}

void CheckpointReader::load_module(const std::string& key, torch::nn::Module& module) {
  torch::serialize::InputArchive sub;
  if (!archive_.try_read(key, sub)) throw UserError("checkpoint " + path_ + " has no " + key + " network");
  try {
    module.load(sub);
  } catch (const std::exception& e) {
    throw UserError("checkpoint " + path_ + ": network " + key + " does not match the configured architecture");
  }
}

void CheckpointReader::load_optimizer(const std::string& key, torch::optim::Optimizer& optimizer) {
  torch::serialize::InputArchive sub;
  if (!archive_.try_read(key, sub)) throw UserError("checkpoint " + path_ + " has no " + key + " optimizer state");
  try {
    optimizer.load(sub);
  } catch (const std::exception& e) {
    throw UserError("checkpoint " + path_ + ": optimizer state " + key + " does not match");
  }
}

torch::Tensor CheckpointReader::tensor(const std::string& key) {
  torch::Tensor t;
  if (!archive_.try_read(key, t)) throw UserError("checkpoint " + path_ + " has no " + key);
  return t;
}

void CheckpointReader::restore_rng() {
  auto restore = [](at::Generator generator, const torch::Tensor& state) {
    std::lock_guard<std::mutex> lock(generator.mutex());
    generator.set_state(state.cpu());
  };
  restore(at::detail::getDefaultCPUGenerator(), tensor("rng_cpu"));
  torch::Tensor cuda_state;
  if (torch::cuda::is_available() && archive_.try_read("rng_cuda", cuda_state)) {
    restore(at::globalContext().defaultGenerator(torch::Device(torch::kCUDA, 0)), cuda_state);
  }
}

std::string checkpoint_path(const std::string& run_dir, int64_t step) {
  char name[32];
  std::snprintf(name, sizeof name, "ckpt-%08lld.pt", static_cast<long long>(step));
  return (fs::path(run_dir) / "checkpoints" / name).string();
}

std::vector<std::string> list_checkpoints(const std::string& run_dir) {
  std::vector<std::string> files;
  const fs::path dir = fs::path(run_dir) / "checkpoints";
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return files;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (entry.is_regular_file() && name.rfind("ckpt-", 0) == 0 && entry.path().extension() == ".pt") {
      files.push_back(entry.path().string());
    }
  }
  // Zero-padded step numbers: lexical order is step order.
  std::sort(files.rbegin(), files.rend());
  return files;
}

void prune_checkpoints(const std::string& run_dir, int64_t keep) {
  const auto files = list_checkpoints(run_dir);
  for (size_t i = static_cast<size_t>(keep); i < files.size(); ++i) {
    std::error_code ec;
    fs::remove(files[i], ec);
  }
}

std::string resolve_checkpoint(const std::string& run_dir_or_file) {
  if (!fs::exists(run_dir_or_file)) throw UserError("--resume/--checkpoint " + run_dir_or_file + " does not exist");
  if (!fs::is_directory(run_dir_or_file)) return run_dir_or_file;
  bool skipped = false;
  for (const auto& file : list_checkpoints(run_dir_or_file)) {
    try {
      CheckpointReader probe(file);
      if (skipped) std::cerr << "using " << file << ", the newest intact checkpoint\n";
      return file;
    } catch (const UserError& e) {
      std::cerr << "warning: skipping " << terminal_safe(e.what()) << "\n";
      skipped = true;
    }
  }
  throw UserError("no readable checkpoint in " + (fs::path(run_dir_or_file) / "checkpoints").string());
}

}  // namespace wgan
