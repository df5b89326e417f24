// The .npy format (numpy's array file, version 1.0) for N x H x W x C uint8 arrays (written
// streaming, read by memory-mapping so a large dataset costs no RAM up front) and 1-D uint16 labels.
#pragma once
#include <torch/torch.h>

#include <string>
#include <vector>

namespace wgan {

// The header numpy expects for a C-ordered array of `shape`, padded to 64 bytes; `descr` is numpy's
// type code ("|u1" uint8, "<f4" little-endian float32).
std::string npy_header(const std::vector<int64_t>& shape, const std::string& descr = "|u1");

// A float32 tensor (any shape, any device) as the bytes of a .npy file.
std::string float_npy_bytes(const torch::Tensor& tensor);

// Class labels (each 0..65535) as the bytes of a 1-D little-endian uint16 .npy file (labels.npy).
std::string uint16_npy_bytes(const std::vector<int64_t>& values);

// Reads a 1-D little-endian uint16 .npy file into int64; UserError naming the file when it is not one.
torch::Tensor read_uint16_npy(const std::string& path);

// Maps `path` read-only and returns a uint8 tensor of its shape that keeps the mapping alive.
// Throws UserError naming the file when it is not a uint8 C-ordered .npy or is truncated.
torch::Tensor map_npy(const std::string& path);

}  // namespace wgan
