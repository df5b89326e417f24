// One file met by `wgan prepare` (data/image_decode.h): its header sniffed, then decoded, converted
// and fitted; any bytes give pixels or a reason, never an exception or a crash.
#include <cstdint>
#include <string>

#include "wgan/data/image_decode.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  wgan::sniff_header(bytes);
  wgan::FitOptions options;
  options.resolution = 16;
  options.max_pixels = 4000000;  // keeps each run fast; the limit itself is what is exercised
  for (const int64_t channels : {1, 3}) {
    options.channels = channels;
    const auto fit = wgan::decode_and_fit(bytes, options);
    if (fit.ok() && fit.pixels.sizes() != torch::IntArrayRef({16, 16, channels})) __builtin_trap();
  }
  return 0;
}
