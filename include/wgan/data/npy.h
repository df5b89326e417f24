// The .npy format (numpy's array file, version 1.0) for N x H x W x C uint8 arrays: written
// streaming, read by memory-mapping so a large dataset costs no RAM up front.
#pragma once
#include <torch/torch.h>

#include <string>
#include <vector>

namespace wgan {

// The header numpy expects for a C-ordered uint8 array of `shape`, padded to 64 bytes.
std::string npy_header(const std::vector<int64_t>& shape);

// Maps `path` read-only and returns a uint8 tensor of its shape that keeps the mapping alive.
// Throws UserError naming the file when it is not a uint8 C-ordered .npy or is truncated.
torch::Tensor map_npy(const std::string& path);

}  // namespace wgan
