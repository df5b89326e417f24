// What the fuzz harnesses share: the bytes as a file (most readers take a path), and the rule
// that a reader may refuse input only with an exception, never with a crash, a hang or undefined
// behaviour (which AddressSanitizer and UBSan turn into a crash under libFuzzer).
#pragma once
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>

namespace wgan::fuzz {

// A file of this process holding `bytes` (in /dev/shm when it exists: thousands of runs a second).
inline std::string as_file(const uint8_t* data, size_t size, const std::string& name) {
  static const std::string dir = [] {
    const std::filesystem::path base = std::filesystem::exists("/dev/shm") ? "/dev/shm" : "/tmp";
    const auto d = base / ("wgan_fuzz_" + std::to_string(::getpid()));
    std::filesystem::create_directories(d);
    return d.string();
  }();
  const std::string path = dir + "/" + name;
  if (FILE* f = std::fopen(path.c_str(), "wb")) {
    if (size > 0) std::fwrite(data, 1, size, f);
    std::fclose(f);
  }
  return path;
}

inline std::string scratch_dir() { return std::filesystem::path(as_file(nullptr, 0, ".probe")).parent_path().string(); }

}  // namespace wgan::fuzz
