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

// The class of an image, from its path relative to SRC: the first-level subfolder it lies in
// (torchvision's ImageFolder rule; "cats/a.jpg" and "cats/old/b.jpg" are both "cats"), or "" for a
// file directly under SRC.
std::string class_of(const std::string& relative_path);

// Dataset file names inside a prepared folder.
inline constexpr const char* kDatasetArray = "images.npy";
inline constexpr const char* kDatasetManifest = "manifest.json";
inline constexpr const char* kDatasetLabels = "labels.npy";  // uint16 class index per image, when it has classes

}  // namespace wgan
