#include "wgan/data/prepare.h"

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

WalkResult walk_images(const std::string& root) {
  WalkResult result;
  std::set<std::pair<dev_t, ino_t>> visited;
  std::vector<fs::path> stack = {fs::path(root)};
  while (!stack.empty()) {
    const fs::path dir = stack.back();
    stack.pop_back();
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0) {
      result.skipped.push_back({dir.string(), "cannot stat directory"});
      continue;
    }
    if (!visited.insert({st.st_dev, st.st_ino}).second) {
      result.skipped.push_back({dir.string(), "directory already visited (symlink loop), not followed"});
      continue;
    }
    std::error_code ec;
    fs::directory_iterator it(dir, ec);
    if (ec) {
      result.skipped.push_back({dir.string(), "cannot read directory: " + ec.message()});
      continue;
    }
    for (; it != fs::directory_iterator(); it.increment(ec)) {
      if (ec) {
        result.skipped.push_back({dir.string(), "error while listing: " + ec.message()});
        break;
      }
      const fs::path path = it->path();
      std::error_code type_ec;
      const auto status = fs::status(path, type_ec);  // follows symlinks
      if (type_ec || !fs::exists(status)) {
        if (has_image_extension(path.string()))
          result.skipped.push_back({path.string(), "broken symlink or unreadable entry"});
        continue;
      }
      if (fs::is_directory(status)) {
        stack.push_back(path);
      } else if (fs::is_regular_file(status) && has_image_extension(path.string())) {
        result.images.push_back(path.string());
      }
    }
  }
  std::sort(result.images.begin(), result.images.end());
  return result;
}

std::string class_of(const std::string& relative_path) {
  const fs::path path(relative_path);
  if (path.has_parent_path() && !path.parent_path().empty()) return path.begin()->string();
  return "";
}

}  // namespace wgan
