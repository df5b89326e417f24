#include "wgan/data/downscale.h"

#include <algorithm>

#include "wgan/util/error.h"

namespace wgan {

ImageDataset downscale(const ImageDataset& data, int64_t side) {
  const int64_t resolution = data.resolution();
  if (side == resolution) return data;
  if (side <= 0 || resolution % side != 0)
    throw std::logic_error("downscale: " + std::to_string(side) + " does not divide " + std::to_string(resolution));
  const int64_t k = resolution / side, n = data.size(), channels = data.channels();
  auto out = torch::empty({n, side, side, channels}, torch::kUInt8);
  // In chunks, so that the float copy stays small whatever the dataset's size.
  constexpr int64_t kChunk = 4096;
  for (int64_t begin = 0; begin < n; begin += kChunk) {
    const int64_t count = std::min(kChunk, n - begin);
    auto chunk = data.images.narrow(0, begin, count).to(torch::kFloat32);
    auto means = chunk.view({count, side, k, side, k, channels}).mean({2, 4});
    out.narrow(0, begin, count).copy_(means.round().clamp(0, 255).to(torch::kUInt8));
  }
  ImageDataset small = data;
  small.images = out;
  return small;
}

}  // namespace wgan
