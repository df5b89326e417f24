// Resolves `wgan train --data`: the built-in Fashion-MNIST, a prepared dataset, or a folder of
// images that is prepared once into a cache beside the run.
#pragma once
#include <string>

#include "wgan/data/dataset.h"

namespace wgan {

// Opens DATASET (a folder holding manifest.json + images.npy, or the .npy itself): the array is
// memory-mapped and checked against the manifest (shape and CRC-32). UserError naming the file
// when anything is off.
ImageDataset load_prepared_dataset(const std::string& path);

struct DataRequest {
  std::string data = "fashion-mnist";  // fashion-mnist | DATASET | FOLDER
  std::string data_dir;                // Fashion-MNIST idx folder
  std::string cache_dir;               // where a FOLDER is prepared (RUN_DIR/dataset)
  int64_t resolution = 64;             // for preparing a FOLDER
  int64_t channels = 3;                // for preparing a FOLDER
  int64_t max_images = 0;              // keep only the first N (0 = all)
  bool quiet = false;
};

// `held_out` (when given) receives real images kept out of training, for --augment-p ada's
// overfitting signal: the images past --max-images when it leaves at least 256 unused (the first
// 1,000 of them), else the last 5% of the data (64 to 1,000), which training then goes without.
ImageDataset load_training_data(const DataRequest& request, ImageDataset* held_out = nullptr);

}  // namespace wgan
