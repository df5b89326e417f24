// An image dataset: uint8 pixels N x H x W x C (the packed .npy layout; C = 1 or 3, RGB), in
// memory or memory-mapped. Batches are turned into N x C x H x W for the networks.
#pragma once
#include <torch/torch.h>

#include <string>
#include <vector>

namespace wgan {

struct ImageDataset {
  torch::Tensor images;  // uint8, N x H x W x C, contiguous
  std::string name;      // where it came from, for logs and config.json
  // Classes, when the data has them (a prepared folder of class subfolders, Fashion-MNIST): one int64
  // label per image, indexing class_names. Undefined / empty otherwise.
  torch::Tensor labels;
  std::vector<std::string> class_names;
  int64_t unlabeled = 0;  // a prepared folder with class subfolders and also images directly under it

  int64_t size() const { return images.size(0); }
  int64_t channels() const { return images.size(3); }
  int64_t resolution() const { return images.size(1); }
  bool has_labels() const { return labels.defined() && !class_names.empty(); }
  // Images per class, in class order (empty without labels).
  std::vector<int64_t> class_counts() const;
  // The first `count` images (and their labels).
  void keep_first(int64_t count);
  // Images [begin, begin + count) with their labels and class names, sharing this one's memory.
  ImageDataset slice(int64_t begin, int64_t count) const;
};

// uint8 [0, 255] to float [-1, 1], the generator's tanh range.
torch::Tensor to_signed_unit(const torch::Tensor& uint8_images);

// float [-1, 1] to uint8 [0, 255], clamped and rounded.
torch::Tensor to_uint8(const torch::Tensor& signed_unit_images);

}  // namespace wgan
