// The training images kept on the GPU as uint8 (N x H x W x C) and batched there: each critic
// step uploads only its 64 indices and mirror flags (from pinned memory, without waiting) instead
// of a float batch through pageable memory, which blocks the host once per step. The batches are
// exactly those of EpochBatcher::batch, converted to [-1, 1].
#pragma once
#include <torch/torch.h>

#include "wgan/data/batcher.h"
#include "wgan/data/dataset.h"
#include "wgan/util/named_enum.h"

namespace wgan {

// --gpu-data: keep the dataset on the GPU always (on), never (off), or when it fits (auto).
enum class GpuData { kAuto, kOn, kOff };
template <>
struct EnumNames<GpuData> {
  static constexpr NamedValue<GpuData> values[] = {{GpuData::kAuto, "auto"}, {GpuData::kOn, "on"}, {GpuData::kOff, "off"}};
};

class DeviceBatches {
 public:
  // Copies the dataset to `device` once.
  DeviceBatches(const ImageDataset& dataset, torch::Device device);

  // The batch `plan` names, float [-1, 1], B x C x H x W; channels_last memory when asked.
  torch::Tensor batch(const BatchPlan& plan, bool channels_last) const;

  // The same from rows and flags already on the device (`flip` may be undefined).
  torch::Tensor gather(const torch::Tensor& indices, const torch::Tensor& flip, bool channels_last) const;

  // Whether a dataset this size should live on the GPU under --gpu-data auto.
  static bool fits(const ImageDataset& dataset);

 private:
  torch::Tensor images_;  // uint8 on the device, N x H x W x C
  torch::Device device_;
};

}  // namespace wgan
