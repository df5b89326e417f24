// `wgan prepare SRC --out DATASET`: walk a folder of images, decode, crop and resize each once,
// and pack them into DATASET/images.npy (N x H x W x C uint8) + DATASET/manifest.json, and, when
// every image lies in a first-level subfolder, its class index into DATASET/labels.npy.
// Bad files are skipped with a reason; prepare never aborts on one file.
#pragma once
#include <string>
#include <vector>

#include "wgan/data/image_decode.h"
#include "wgan/data/prepare.h"

namespace wgan {

struct PrepareConfig {
  std::string source;        // folder to walk (recursively)
  std::string out;           // dataset folder to write
  std::string preset;        // celeba, anime, flowers, or empty
  FitOptions fit;            // resolution, channels, crop
  int64_t max_images = 0;    // only the first N image files, in path order (0 = all)
  int64_t threads = 0;       // decoding threads (0 = all cores)
  bool strict = false;       // any skipped file makes prepare fail
  bool quiet = false;        // no progress bar
};

// Applies --preset (crop and resolution), then checks every field (UserError naming the flag).
void apply_preset_and_validate(PrepareConfig& config);

// --crop: center, none, or WxH (a centred box of W x H pixels) into `fit`. UserError naming --crop.
void parse_crop(const std::string& text, FitOptions& fit);

struct PrepareReport {
  int64_t kept = 0;
  std::vector<std::string> classes;  // class subfolders, sorted (empty: no labels were written)
  int64_t unlabeled = 0;             // kept images directly under SRC while others lie in subfolders
  std::vector<SkippedFile> skipped;
  double seconds = 0;
};

// Runs prepare; throws UserError for bad flags or an unwritable output, and (with --strict)
// when anything was skipped, after writing nothing.
PrepareReport run_prepare(const PrepareConfig& config);

}  // namespace wgan
