#include "wgan/data/prepare_command.h"

#include <sys/stat.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <set>
#include <thread>

#include "wgan/data/npy.h"
#include "wgan/util/atomic_file.h"
#include "wgan/util/error.h"
#include "wgan/util/progress.h"

namespace fs = std::filesystem;

namespace wgan {

void parse_crop(const std::string& text, FitOptions& fit) {
  if (text == "center" || text == "none") {
    fit.crop = text;
    return;
  }
  // WxH: two positive integers and nothing else; `fit` changes only when the whole text parses.
  const auto x = text.find('x');
  int64_t width = 0, height = 0;
  try {
    if (x == std::string::npos) throw std::invalid_argument(text);
    const std::string w = text.substr(0, x), h = text.substr(x + 1);
    size_t used_w = 0, used_h = 0;
    width = std::stoll(w, &used_w);
    height = std::stoll(h, &used_h);
    if (used_w != w.size() || used_h != h.size()) throw std::invalid_argument(text);
  } catch (const std::exception&) {
    width = height = 0;
  }
  if (width <= 0 || height <= 0)
    throw UserError("--crop '" + text + "' must be center, none, or WxH with positive sizes, such as 140x140");
  fit.crop = "box";
  fit.crop_w = width;
  fit.crop_h = height;
}

void apply_preset_and_validate(PrepareConfig& c) {
  if (c.preset == "celeba") {
    // Aligned CelebA faces are 178x218: a centred 140x140 box holds the face, then 64x64.
    c.fit.crop = "box";
    c.fit.crop_w = c.fit.crop_h = 140;
    c.fit.resolution = 64;
  } else if (c.preset == "anime") {
    // Anime face crops are already roughly square and face-centred.
    c.fit.crop = "center";
    c.fit.resolution = 64;
  } else if (c.preset == "flowers") {
    // Oxford-102 photos of all sizes: the centred square keeps the flower.
    c.fit.crop = "center";
    c.fit.resolution = 64;
  } else if (!c.preset.empty()) {
    throw UserError("--preset '" + c.preset + "' must be celeba, anime or flowers");
  }
  if (c.source.empty()) throw UserError("prepare needs a SOURCE folder");
  if (!fs::is_directory(c.source)) throw UserError("SOURCE " + c.source + " is not a directory");
  if (c.out.empty()) throw UserError("--out DATASET is required");
  const int64_t r = c.fit.resolution;
  if (r < 32 || r > 256 || (r & (r - 1)) != 0) {
    throw UserError("--resolution " + std::to_string(r) + " must be a power of two from 32 to 256");
  }
  if (c.fit.channels != 1 && c.fit.channels != 3) throw UserError("--channels must be 1 or 3");
  if (c.fit.crop != "center" && c.fit.crop != "none" && c.fit.crop != "box") {
    throw UserError("--crop '" + c.fit.crop + "' must be center, none, or WxH (a centred box)");
  }
  if (c.fit.crop == "box" && (c.fit.crop_w <= 0 || c.fit.crop_h <= 0))
    throw UserError("--crop WxH needs positive sizes");
  if (c.max_images < 0) throw UserError("--max-images must be >= 0");
  if (c.threads < 0) throw UserError("--threads must be >= 0");
  if (c.fit.min_side < 1) throw UserError("--min-side must be positive");
}

namespace {

std::string read_whole(const std::string& path, std::string& reason) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    reason = errno == EACCES ? "permission denied" : "cannot open file";
    return {};
  }
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) reason = "read error";
  return bytes;
}

std::string relative_to(const std::string& path, const std::string& root) {
  // Lexical, not canonical: a symlink's own name must be reported, not its target.
  const auto rel = fs::path(path).lexically_relative(root);
  return rel.empty() ? path : rel.string();
}

}  // namespace

PrepareReport run_prepare(const PrepareConfig& config_in) {
  PrepareConfig c = config_in;
  apply_preset_and_validate(c);
  const auto start = std::chrono::steady_clock::now();
  WalkResult walk = walk_images(c.source);
  if (c.max_images > 0 && static_cast<int64_t>(walk.images.size()) > c.max_images) walk.images.resize(c.max_images);
  const auto n = static_cast<int64_t>(walk.images.size());
  if (n == 0) throw UserError("no image files (jpg, jpeg, png, bmp, webp, tif, tiff) under " + c.source);
  ensure_writable_dir(c.out);
  remove_stale_temp_files_and_say(c.out, /*quiet=*/false);

  const int64_t r = c.fit.resolution, ch = c.fit.channels, image_bytes = r * r * ch;
  auto pixels = torch::empty({n, r, r, ch}, torch::kUInt8);
  std::vector<std::string> reasons(static_cast<size_t>(n));
  std::atomic<int64_t> next{0}, done{0};
  const int64_t threads = c.threads > 0 ? c.threads : std::max<int64_t>(1, std::thread::hardware_concurrency());
  auto worker = [&] {
    for (int64_t i = next++; i < n; i = next++) {
      std::string reason;
      const std::string bytes = read_whole(walk.images[static_cast<size_t>(i)], reason);
      if (reason.empty()) {
        FitResult fit = decode_and_fit(bytes, c.fit);
        if (fit.ok()) {
          std::memcpy(pixels[i].data_ptr<uint8_t>(), fit.pixels.data_ptr<uint8_t>(), static_cast<size_t>(image_bytes));
        } else {
          reason = fit.reason;
        }
      }
      reasons[static_cast<size_t>(i)] = reason;
      ++done;
    }
  };
  std::vector<std::thread> pool;
  for (int64_t t = 0; t < threads; ++t) pool.emplace_back(worker);
  ProgressBar progress("prepare", n);
  while (!c.quiet && done.load() < n) {
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    char suffix[64];
    std::snprintf(suffix, sizeof suffix, "%.0f files/s", secs > 0 ? done.load() / secs : 0.0);
    progress.update(done.load(), suffix);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  for (auto& t : pool) t.join();

  PrepareReport report;
  report.skipped = walk.skipped;
  nlohmann::json files = nlohmann::json::array(), skipped = nlohmann::json::array();
  std::vector<int64_t> kept;
  for (int64_t i = 0; i < n; ++i) {
    const auto& path = walk.images[static_cast<size_t>(i)];
    if (reasons[static_cast<size_t>(i)].empty()) {
      kept.push_back(i);
      files.push_back(relative_to(path, c.source));
    } else {
      report.skipped.push_back({path, reasons[static_cast<size_t>(i)]});
    }
  }
  for (const auto& s : report.skipped)
    skipped.push_back({{"file", relative_to(s.path, c.source)}, {"reason", s.reason}});
  report.kept = static_cast<int64_t>(kept.size());
  // Classes: the first-level subfolders, sorted as torchvision sorts them. Labels are written only when
  // every kept image has one; a mix is recorded (train --cond then says which images lack one).
  std::vector<std::string> file_classes;
  for (const auto& file : files) file_classes.push_back(class_of(file.get<std::string>()));
  const std::set<std::string> class_set(file_classes.begin(), file_classes.end());
  const int64_t unlabeled = std::count(file_classes.begin(), file_classes.end(), std::string());
  std::vector<int64_t> labels;
  if (unlabeled == 0) {
    report.classes.assign(class_set.begin(), class_set.end());
    for (const auto& name : file_classes)
      labels.push_back(std::lower_bound(report.classes.begin(), report.classes.end(), name) - report.classes.begin());
    if (report.classes.size() > 65535)
      throw UserError(c.source + " has " + std::to_string(report.classes.size()) +
                      " class subfolders; labels.npy holds at most 65,535 classes");
  } else if (unlabeled < report.kept) {
    report.unlabeled = unlabeled;
  }
  if (!c.quiet) {
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    char suffix[64];
    std::snprintf(suffix, sizeof suffix, "%.0f files/s", secs > 0 ? n / secs : 0.0);
    progress.update(n, suffix, true);
    progress.finish();
  }
  if (c.strict && !report.skipped.empty()) {
    throw UserError("--strict: " + std::to_string(report.skipped.size()) + " file(s) skipped, first: " +
                    report.skipped.front().path + " (" + report.skipped.front().reason + "); nothing written");
  }
  if (report.kept == 0)
    throw UserError("no usable image under " + c.source + " (all " + std::to_string(n) + " skipped)");

  // The array, streamed in source order into its temporary file; its CRC-32 goes into the manifest.
  StagedFile array((fs::path(c.out) / kDatasetArray).string());
  uLong crc = crc32(0L, Z_NULL, 0);
  array.sink().write(npy_header({report.kept, r, r, ch}));
  for (int64_t i : kept) {
    const auto* data = pixels[i].data_ptr<uint8_t>();
    crc = crc32(crc, data, static_cast<uInt>(image_bytes));
    array.sink().write(data, static_cast<size_t>(image_bytes));
  }
  array.finish();
  nlohmann::json manifest = {
      {"format", "wgan-dataset"},
      {"version", 1},
      {"source", fs::absolute(c.source).lexically_normal().string()},
      {"array", kDatasetArray},
      {"count", report.kept},
      {"resolution", r},
      {"channels", ch},
      {"layout", "N x H x W x C uint8, RGB"},
      {"crop", c.fit.crop == "box" ? std::to_string(c.fit.crop_w) + "x" + std::to_string(c.fit.crop_h) : c.fit.crop},
      {"preset", c.preset},
      {"crc32", static_cast<uint64_t>(crc)},
      {"files", files},
      {"skipped", skipped},
      {"classes", report.classes},
  };
  if (!labels.empty()) {
    manifest["labels_array"] = kDatasetLabels;
    manifest["labels"] = labels;
  }
  if (report.unlabeled > 0) manifest["unlabeled"] = report.unlabeled;
  // Both files are complete on disk before either replaces the previous dataset (a full disk fails
  // here and leaves it as it was); then the array, then the manifest that describes it.
  std::unique_ptr<StagedFile> labels_file;
  if (!labels.empty()) {
    labels_file = std::make_unique<StagedFile>((fs::path(c.out) / kDatasetLabels).string());
    labels_file->sink().write(uint16_npy_bytes(labels));
    labels_file->finish();
  }
  StagedFile manifest_file((fs::path(c.out) / kDatasetManifest).string());
  manifest_file.sink().write(manifest.dump(1) + "\n");
  manifest_file.finish();
  array.commit();
  if (labels_file) labels_file->commit();
  manifest_file.commit();
  if (!labels_file) {
    std::error_code ignored;  // a previous dataset's labels in this folder no longer describe it
    fs::remove(fs::path(c.out) / kDatasetLabels, ignored);
  }
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

}  // namespace wgan
