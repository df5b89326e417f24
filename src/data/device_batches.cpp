#include "wgan/data/device_batches.h"

namespace wgan {

namespace {

// Host to device without blocking the host: pageable copies wait for the whole queue.
torch::Tensor upload(const torch::Tensor& host, torch::Device device) {
  if (!device.is_cuda()) return host.to(device);  // the CPU: what the tests check the gather on
  return host.contiguous().pin_memory().to(device, /*non_blocking=*/true);
}

}  // namespace

DeviceBatches::DeviceBatches(const ImageDataset& dataset, torch::Device device)
    : images_(dataset.images.contiguous().to(device)), device_(device) {}

bool DeviceBatches::fits(const ImageDataset& dataset) {
  // CelebA at 64x64 is 2.4 GB; a few GB leave the card's memory to the networks.
  constexpr int64_t kMaxBytes = int64_t{4} << 30;
  return dataset.images.numel() <= kMaxBytes;
}

torch::Tensor DeviceBatches::batch(const BatchPlan& plan, bool channels_last) const {
  return gather(upload(plan.indices, device_), plan.flip.defined() ? upload(plan.flip, device_) : torch::Tensor(),
                channels_last);
}

torch::Tensor DeviceBatches::gather(const torch::Tensor& indices, const torch::Tensor& flip, bool channels_last) const {
  // The gathered N x C x H x W view of NHWC memory is already channels_last.
  auto nchw = gather_batch(images_, indices, flip);
  if (!channels_last) nchw = nchw.contiguous();
  return to_signed_unit(nchw);
}

}  // namespace wgan
