#include "wgan/data/dataset.h"

namespace wgan {

std::vector<int64_t> ImageDataset::class_counts() const {
  if (!has_labels()) return {};
  auto counts = torch::bincount(labels, {}, static_cast<int64_t>(class_names.size()));
  return std::vector<int64_t>(counts.data_ptr<int64_t>(), counts.data_ptr<int64_t>() + counts.numel());
}

void ImageDataset::keep_first(int64_t count) {
  if (count <= 0 || count >= size()) return;
  images = images.narrow(0, 0, count);
  if (labels.defined()) labels = labels.narrow(0, 0, count);
}

ImageDataset ImageDataset::slice(int64_t begin, int64_t count) const {
  ImageDataset part = *this;
  part.images = images.narrow(0, begin, count);
  if (labels.defined()) part.labels = labels.narrow(0, begin, count);
  part.unlabeled = 0;
  return part;
}

torch::Tensor to_signed_unit(const torch::Tensor& uint8_images) {
  return uint8_images.to(torch::kFloat32).mul_(2.0f / 255.0f).sub_(1.0f);
}

torch::Tensor to_uint8(const torch::Tensor& signed_unit_images) {
  return signed_unit_images.detach()
      .to(torch::kFloat32)
      .add(1.0f)
      .mul_(127.5f)
      .round_()
      .clamp_(0.0f, 255.0f)
      .to(torch::kUInt8);
}

}  // namespace wgan
