// A file given to `--resume`, `sample --checkpoint` or `sample --arch blog`: the zip's records are
// checked against their CRC-32s, then read as a wgan checkpoint or a torch.save file. Any bytes give
// a result or an error, never a crash.
#include <cstdint>
#include <string>

#include "fuzz_support.h"
#include "wgan/io/torch_pickle.h"
#include "wgan/run/checkpoint.h"
#include "wgan/util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = wgan::fuzz::as_file(data, size, "input.pt");
  try {
    wgan::CheckpointReader reader(path);
    reader.tensor("fixed_z");
  } catch (const wgan::UserError&) {
  }
  try {
    wgan::load_torch_file(path);
  } catch (const wgan::UserError&) {
  }
  return 0;
}
