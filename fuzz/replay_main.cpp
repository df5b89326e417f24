// wgan_fuzz_replay: the fuzz harnesses (fuzz/*_fuzz.cpp) as one ordinary program, for the normal
// build and ctest; `make fuzz` links each harness with libFuzzer instead (CMakeLists.txt).
//   wgan_fuzz_replay seeds OUT_DIR         writes the seed corpus: OUT_DIR/<harness>/<seed>, made
//                                          with wgan's own writers, so fuzzing mutates valid files
//   wgan_fuzz_replay HARNESS PATH...       gives each file (or each file under each folder) to HARNESS
//   wgan_fuzz_replay selftest REGRESSIONS  the seeds, then REGRESSIONS/<harness>/* (every crash
//                                          fuzzing found, kept), through their harnesses
#include <caffe2/serialize/inline_container.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "wgan/data/npy.h"
#include "wgan/io/image_grid.h"
#include "wgan/io/torch_pickle.h"
#include "wgan/run/train_config.h"
#include "wgan/util/atomic_file.h"
#include "../tests/support/small_checkpoint.h"

namespace fs = std::filesystem;

// Each harness's LLVMFuzzerTestOneInput, renamed by CMakeLists.txt in this build.
#define WGAN_FUZZ_HARNESS(name) extern "C" int wgan_##name(const uint8_t* data, size_t size);
WGAN_FUZZ_HARNESS(checkpoint_fuzz)
WGAN_FUZZ_HARNESS(image_decode_fuzz)
WGAN_FUZZ_HARNESS(json_fuzz)
WGAN_FUZZ_HARNESS(npy_fuzz)
WGAN_FUZZ_HARNESS(torch_pickle_fuzz)
#undef WGAN_FUZZ_HARNESS

namespace {

using Harness = int (*)(const uint8_t*, size_t);
const std::map<std::string, Harness> kHarnesses = {
    {"checkpoint_fuzz", wgan_checkpoint_fuzz}, {"image_decode_fuzz", wgan_image_decode_fuzz},
    {"json_fuzz", wgan_json_fuzz},             {"npy_fuzz", wgan_npy_fuzz},
    {"torch_pickle_fuzz", wgan_torch_pickle_fuzz}};

void write_seeds(const fs::path& out) {
  const auto seed = [&](const std::string& harness, const std::string& name, const std::string& bytes) {
    fs::create_directories(out / harness);
    wgan::write_file_atomic((out / harness / name).string(), bytes);
  };
  // checkpoint_fuzz: a wgan checkpoint and a torch.save state dict.
  const fs::path scratch = out / "scratch";
  const std::string checkpoint = wgan::test_support::write_small_checkpoint(scratch.string());
  seed("checkpoint_fuzz", "checkpoint.pt", wgan::read_file(checkpoint));
  const std::string state_dict = (scratch / "state.pt").string();
  wgan::save_torch_state_dict(state_dict, {{"conv.weight", torch::randn({4, 2, 3, 3})},
                                           {"bn.running_mean", torch::zeros({4})},
                                           {"bn.num_batches_tracked", torch::tensor(int64_t{7})}});
  seed("checkpoint_fuzz", "state_dict.pt", wgan::read_file(state_dict));
  // torch_pickle_fuzz: that file's data.pkl.
  caffe2::serialize::PyTorchStreamReader reader(state_dict);
  auto [pickle, pickle_size] = reader.getRecord("data.pkl");
  seed("torch_pickle_fuzz", "data.pkl", std::string(static_cast<const char*>(pickle.get()), pickle_size));
  // npy_fuzz: images and labels as prepare writes them.
  seed("npy_fuzz", "images.npy", wgan::npy_header({2, 4, 4, 3}) + std::string(96, '\x40'));
  seed("npy_fuzz", "labels.npy", wgan::uint16_npy_bytes({0, 3, 65535}));
  // image_decode_fuzz: a PNG in colour and in gray.
  seed("image_decode_fuzz", "rgb.png", wgan::encode_png(torch::randint(0, 256, {20, 24, 3}, torch::kUInt8)));
  seed("image_decode_fuzz", "gray.png", wgan::encode_png(torch::randint(0, 256, {17, 9, 1}, torch::kUInt8)));
  // json_fuzz: a run's config and a dataset manifest.
  seed("json_fuzz", "config.json", wgan::to_json(wgan::TrainConfig{}).dump(2));
  seed("json_fuzz", "manifest.json",
       R"({"format": "wgan-dataset", "array": "images.npy", "count": 2, "resolution": 8, "channels": 1,)"
       R"( "classes": ["a", "b"], "labels_array": "labels.npy", "crc32": 12345})");
  fs::remove_all(scratch);
  fs::remove_all(scratch);
}

// Runs `harness` on every file of `paths` (folders recursively); how many.
size_t replay(Harness harness, const std::vector<fs::path>& paths) {
  size_t count = 0;
  for (const auto& path : paths) {
    std::vector<fs::path> files;
    if (fs::is_directory(path)) {
      for (const auto& entry : fs::recursive_directory_iterator(path))
        if (entry.is_regular_file()) files.push_back(entry.path());
    } else if (fs::exists(path)) {
      files.push_back(path);
    }
    for (const auto& file : files) {
      std::ifstream in(file, std::ios::binary);
      const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      harness(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
      ++count;
    }
  }
  return count;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string what = argc >= 3 ? argv[1] : "";
  if (what == "seeds" && argc == 3) {
    write_seeds(argv[2]);
    std::printf("seed corpus written to %s\n", argv[2]);
    return 0;
  }
  if (what == "selftest" && argc == 3) {
    const fs::path seeds = fs::temp_directory_path() / ("wgan_fuzz_seeds_" + std::to_string(::getpid()));
    write_seeds(seeds);
    for (const auto& [name, harness] : kHarnesses) {
      const size_t seeded = replay(harness, {seeds / name}), saved = replay(harness, {fs::path(argv[2]) / name});
      std::printf("%s: %zu seeds and %zu saved crash inputs replayed without a crash\n", name.c_str(), seeded, saved);
      if (seeded == 0) return 1;
    }
    fs::remove_all(seeds);
    return 0;
  }
  if (const auto it = kHarnesses.find(what); it != kHarnesses.end()) {
    const size_t count = replay(it->second, std::vector<fs::path>(argv + 2, argv + argc));
    std::printf("%s: %zu inputs replayed without a crash\n", what.c_str(), count);
    return count > 0 ? 0 : 1;
  }
  std::fprintf(stderr, "usage: wgan_fuzz_replay seeds OUT_DIR | selftest REGRESSIONS_DIR | HARNESS PATH...\n");
  return 2;
}
