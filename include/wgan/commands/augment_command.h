// `wgan augment`: a grid of training images as the critic would see them under --augment, so a
// user can judge the transforms before training.
#pragma once
#include <string>

#include "wgan/data/fashion_mnist.h"

namespace wgan {

struct AugmentPreviewConfig {
  std::string data = "fashion-mnist";     // as wgan train --data
  std::string data_dir = kFashionMnistDefaultDir;
  std::string augment = "color,translation,cutout";  // as wgan train --augment
  double augment_p = 1.0;                  // as wgan train --augment-p
  int64_t num = 32;                        // training images shown (each once plain, once augmented)
  int64_t nrow = 8;                        // grid columns
  uint64_t seed = 1;                       // which images, and the transforms' draws
  std::string grid = "augment.png";        // the PNG written
};

// Writes the grid: rows of plain images, each followed by the same images augmented. Returns its path.
std::string run_augment_preview(const AugmentPreviewConfig& config);

}  // namespace wgan
