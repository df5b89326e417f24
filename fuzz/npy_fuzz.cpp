// A prepared dataset's images.npy and labels.npy (data/npy.h): any bytes give an array or a
// UserError naming the file.
#include <cstdint>
#include <string>

#include "fuzz_support.h"
#include "wgan/data/npy.h"
#include "wgan/util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = wgan::fuzz::as_file(data, size, "input.npy");
  try {
    const auto images = wgan::map_npy(path);
    if (images.numel() > 0) images.sum().item<int64_t>();  // every mapped byte is readable
  } catch (const wgan::UserError&) {
  }
  try {
    wgan::read_uint16_npy(path);
  } catch (const wgan::UserError&) {
  }
  return 0;
}
