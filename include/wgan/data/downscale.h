// A dataset at a lower resolution, by the area filter (each output pixel the mean of the k x k
// input pixels it covers): what progressive growing trains its low-resolution phases on, made once
// per phase rather than per batch.
#pragma once
#include <cstdint>

#include "wgan/data/dataset.h"

namespace wgan {

// `data` at `side` x `side` (a divisor of its resolution, by a power of two), rounded to uint8;
// labels and class names kept. At its own resolution it is returned as it is (shared memory).
ImageDataset downscale(const ImageDataset& data, int64_t side);

}  // namespace wgan
