#include "wgan/commands/check_command.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>

#include "wgan/data/prepare.h"
#include "wgan/data/training_data.h"
#include "wgan/io/torch_pickle.h"
#include "wgan/io/zip_records.h"
#include "wgan/run/checkpoint.h"
#include "wgan/run/train_config.h"
#include "wgan/util/atomic_file.h"
#include "wgan/util/error.h"
#include "wgan/util/printable.h"

namespace fs = std::filesystem;

namespace wgan {
namespace {

std::string megabytes(int64_t bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f MB", static_cast<double>(bytes) / 1e6);
  return text;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

std::string seconds_text(double seconds) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2f s", seconds);
  return text;
}

CheckLine check_checkpoint(const std::string& path) {
  const auto start = std::chrono::steady_clock::now();
  try {
    const auto records = verify_zip_records(path, "checkpoint");
    CheckpointReader reader(path);
    const std::string verified =
        zip_records_checkable() ? std::to_string(records.records) + " records, CRC-32 verified"
                                : "records NOT verified: this build has no libarchive";
    return {"ok", path,
            "step " + std::to_string(reader.state().step) + ", " + megabytes(static_cast<int64_t>(fs::file_size(path))) +
                ", " + verified + " in " + seconds_text(seconds_since(start))};
  } catch (const UserError& e) {
    return {"DAMAGED", path, e.what()};
  }
}

// A file given by name: a wgan checkpoint, or else a state dict torch.save wrote (the blog post's
// G.ckpt, `wgan export --to FILE.pt`); when it reads as neither, the checkpoint's reason is given.
CheckLine check_file(const std::string& path) {
  auto as_checkpoint = check_checkpoint(path);
  if (as_checkpoint.status == "ok") return as_checkpoint;
  try {
    const auto records = verify_zip_records(path, "PyTorch file");
    const auto tensors = load_torch_file(path);
    const std::string verified = zip_records_checkable() ? ", CRC-32 verified" : ", records NOT verified (no libarchive)";
    return {"ok", path,
            "a torch.save file: " + std::to_string(tensors.size()) + " tensors, " + std::to_string(records.records) +
                " records" + verified};
  } catch (const UserError&) {
    return as_checkpoint;
  }
}

CheckLine check_dataset(const std::string& dir) {
  const auto start = std::chrono::steady_clock::now();
  try {
    const auto dataset = load_prepared_dataset(dir);
    const int64_t bytes = dataset.images.numel();
    return {"ok", dir,
            std::to_string(dataset.size()) + " images, " + megabytes(bytes) + ", CRC-32 against " + kDatasetManifest +
                " verified in " + seconds_text(seconds_since(start))};
  } catch (const UserError& e) {
    return {"DAMAGED", dir, e.what()};
  }
}

bool is_dataset(const fs::path& path) { return fs::is_directory(path) && fs::exists(path / kDatasetManifest); }

// config.json parses as a run's config, and says what the newest intact checkpoint says (the
// checkpoint's copy is the one --resume uses; config.json is the reader's record).
CheckLine check_config(const fs::path& file, const TrainConfig* checkpoint_config, const std::string& checkpoint) {
  TrainConfig config;
  try {
    config = train_config_from_json(nlohmann::json::parse(read_file(file.string())));
  } catch (const nlohmann::json::exception& e) {
    return {"DAMAGED", file.string(), "not a run's config: " + printable(e.what(), 160)};
  } catch (const UserError& e) {
    return {"DAMAGED", file.string(), e.what()};
  }
  if (!checkpoint_config) return {"ok", file.string(), "parses (no intact checkpoint to compare it with)"};
  auto ours = to_json(config), theirs = to_json(*checkpoint_config);
  ours.erase("run_dir"), theirs.erase("run_dir");  // a run directory may be moved
  std::string differing;
  for (const auto& [key, value] : ours.items())
    if (!theirs.contains(key) || theirs[key] != value) differing += (differing.empty() ? "" : ", ") + key;
  for (const auto& [key, value] : theirs.items())
    if (!ours.contains(key)) differing += (differing.empty() ? "" : ", ") + key;
  if (!differing.empty())
    return {"differs", file.string(),
            "parses, but differs from " + checkpoint + "'s config in " + differing +
                " (a run stopped before its first checkpoint after a resume, or the file was edited; --resume uses "
                "the checkpoint's)"};
  return {"ok", file.string(), "parses, and equals " + checkpoint + "'s config"};
}

// Every line parses as JSON; a run killed mid-line may leave its last line partial, which a resume
// drops, so that one is reported but is no damage.
CheckLine check_metrics(const fs::path& file) {
  std::ifstream in(file);
  std::string line;
  int64_t number = 0, last_step = -1;
  bool partial_last = false;
  while (std::getline(in, line)) {
    ++number;
    if (partial_last) return {"DAMAGED", file.string(), "line " + std::to_string(number - 1) + " is not JSON"};
    const auto json = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (json.is_discarded() || !json.is_object()) {
      partial_last = true;
      continue;
    }
    if (json.contains("step") && json["step"].is_number()) last_step = json["step"].get<int64_t>();
  }
  return {"ok", file.string(),
          std::to_string(number) + " lines, up to step " + std::to_string(last_step) +
              (partial_last ? " (the last line is cut off: a run killed mid-line; --resume drops it)" : "")};
}

void check_run(const fs::path& dir, std::vector<CheckLine>& lines) {
  std::optional<TrainConfig> newest_config;
  std::string newest;
  for (const auto& file : list_checkpoints(dir.string())) {
    lines.push_back(check_checkpoint(file));
    if (!newest_config && lines.back().status == "ok") {
      newest_config = CheckpointReader(file).config();
      newest = fs::path(file).filename().string();
    }
  }
  if (list_checkpoints(dir.string()).empty())
    lines.push_back({"skipped", (dir / "checkpoints").string(), "no checkpoint yet"});
  lines.push_back(check_config(dir / "config.json", newest_config ? &*newest_config : nullptr, newest));
  if (fs::exists(dir / "metrics.jsonl")) lines.push_back(check_metrics(dir / "metrics.jsonl"));
  // The data it trains on: a prepared dataset named by --data, or the copy prepared from a folder.
  const TrainConfig* config = newest_config ? &*newest_config : nullptr;
  std::optional<TrainConfig> from_file;
  if (!config) {
    try {
      from_file = train_config_from_json(nlohmann::json::parse(read_file((dir / "config.json").string())));
      config = &*from_file;
    } catch (const std::exception&) {
      // config.json's own line says what is wrong with it.
    }
  }
  if (is_dataset(dir / "dataset")) lines.push_back(check_dataset((dir / "dataset").string()));
  if (config && is_dataset(config->data)) {
    lines.push_back(check_dataset(config->data));
  } else if (config && config->data == "fashion-mnist") {
    lines.push_back({"skipped", config->data_dir, "the built-in Fashion-MNIST (Debian's files, read as they are)"});
  } else if (config && !fs::exists(config->data)) {
    lines.push_back({"skipped", config->data, "--data not found from this folder (a relative path is the trainer's)"});
  } else if (config) {
    lines.push_back({"skipped", config->data, "a folder of images, read as it is (its prepared copy is above)"});
  }
}

}  // namespace

std::vector<CheckLine> run_check(const std::vector<std::string>& paths) {
  std::vector<CheckLine> lines;
  for (const auto& path : paths) {
    const fs::path p(path);
    if (!fs::exists(p)) throw UserError(path + " does not exist");
    if (fs::is_directory(p) && fs::exists(p / "config.json")) {
      check_run(p, lines);
    } else if (is_dataset(p)) {
      lines.push_back(check_dataset(path));
    } else if (fs::is_regular_file(p)) {
      lines.push_back(check_file(path));
    } else {
      throw UserError(path + " is neither a run directory (no config.json), a prepared dataset (no " +
                      kDatasetManifest + ") nor a file");
    }
  }
  return lines;
}

bool any_damaged(const std::vector<CheckLine>& lines) {
  for (const auto& line : lines)
    if (line.status == "DAMAGED") return true;
  return false;
}

}  // namespace wgan
