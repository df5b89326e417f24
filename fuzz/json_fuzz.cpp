// The JSON wgan reads back: a run's config (config.json, and the copy inside every checkpoint) and
// a prepared dataset's manifest.json, here beside a valid images.npy. Any bytes give a config or
// dataset, or an error naming what is wrong; never a crash.
#include <cstdint>
#include <filesystem>
#include <string>

#include "fuzz_support.h"
#include "wgan/data/npy.h"
#include "wgan/data/training_data.h"
#include "wgan/run/train_config.h"
#include "wgan/util/atomic_file.h"
#include "wgan/util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    wgan::train_config_from_json(nlohmann::json::parse(text));
  } catch (const nlohmann::json::exception&) {
  } catch (const wgan::UserError&) {
  }
  // A dataset of two 8x8 gray images, its manifest replaced by the input.
  static const std::string dir = [] {
    const std::string d = wgan::fuzz::scratch_dir() + "/dataset";
    std::filesystem::create_directories(d);
    wgan::write_file_atomic(d + "/images.npy", wgan::npy_header({2, 8, 8, 1}) + std::string(128, '\x7f'));
    return d;
  }();
  wgan::write_file_atomic(dir + "/manifest.json", text);
  std::error_code ec;
  std::filesystem::remove(dir + "/labels.npy", ec);
  try {
    wgan::load_prepared_dataset(dir);
  } catch (const wgan::UserError&) {
  }
  return 0;
}
