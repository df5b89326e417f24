// What `wgan prepare` (prepare_command.h) is built from: the recursive walk of a source folder,
// the record of a skipped file, and the names of a prepared dataset's files.
#pragma once
#include <string>
#include <vector>

#include "wgan/data/image_decode.h"

namespace wgan {

struct SkippedFile {
  std::string path;
  std::string reason;
};

struct WalkResult {
  std::vector<std::string> images;   // image files, sorted by path
  std::vector<SkippedFile> skipped;  // unreadable directories, symlink loops, broken links
};

// Walks `root` recursively, following directory symlinks once each (loops are reported).
WalkResult walk_images(const std::string& root);

// Dataset file names inside a prepared folder.
inline constexpr const char* kDatasetArray = "images.npy";
inline constexpr const char* kDatasetManifest = "manifest.json";

}  // namespace wgan
