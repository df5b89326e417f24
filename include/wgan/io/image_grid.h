// Sample grids in torchvision's make_grid layout and PNG output.
#pragma once
#include <torch/torch.h>

#include <string>

namespace wgan {

struct GridOptions {
  int64_t nrow = 8;         // images per row
  int64_t padding = 1;      // pixels between and around images
  double pad_value = 0.5;   // in [0, 1] display units, like the blog post's grids
};

// images: B x C x H x W in [-1, 1] (C = 1 or 3). Returns uint8 H' x W' x C (RGB order) laid out
// as make_grid does: ceil(B / nrow) rows, padding around every cell, empty cells padded.
torch::Tensor make_grid(const torch::Tensor& images, const GridOptions& options = {});

// PNG bytes of an H x W x C uint8 RGB or gray tensor.
std::string encode_png(const torch::Tensor& hwc_uint8);

// Writes an H x W x C uint8 RGB (or gray) tensor as PNG, atomically. Throws UserError naming the path.
void write_png(const std::string& path, const torch::Tensor& hwc_uint8);

// Reads a PNG/JPEG into H x W x C uint8 RGB (or gray when the file is gray); needs OpenCV.
torch::Tensor read_image(const std::string& path);

}  // namespace wgan
