#include "wgan/data/dataset.h"

namespace wgan {

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
