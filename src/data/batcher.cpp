#include "wgan/data/batcher.h"

#include "wgan/util/error.h"

namespace wgan {

EpochBatcher::EpochBatcher(const ImageDataset& dataset, int64_t batch_size, uint64_t seed, bool xflip)
    : dataset_(dataset), batch_size_(batch_size), seed_(seed), xflip_(xflip) {
  if (batch_size <= 0) throw UserError("--batch must be positive");
  batches_per_epoch_ = dataset.size() / batch_size;
  if (batches_per_epoch_ == 0) {
    throw UserError("--batch " + std::to_string(batch_size) + " is larger than the dataset (" +
                    std::to_string(dataset.size()) + " images)");
  }
}

torch::Tensor EpochBatcher::batch_indices(int64_t index) {
  const int64_t epoch = index / batches_per_epoch_;
  if (epoch != cached_epoch_) {
    // A private generator: the epoch's order never depends on how much of the global RNG the
    // training loop has used.
    auto generator = at::detail::createCPUGenerator(seed_ * 1000003ULL + static_cast<uint64_t>(epoch) + 1);
    order_ = torch::randperm(dataset_.size(), generator, torch::TensorOptions().dtype(torch::kInt64));
    cached_epoch_ = epoch;
  }
  return order_.narrow(0, (index % batches_per_epoch_) * batch_size_, batch_size_);
}

void EpochBatcher::set_shard(int rank, int world) {
  if (world < 1 || rank < 0 || rank >= world || batch_size_ % world != 0)
    throw UserError("--batch " + std::to_string(batch_size_) + " cannot be split evenly over " +
                    std::to_string(world) + " ranks");
  shard_rank_ = rank;
  shard_count_ = world;
}

BatchPlan EpochBatcher::plan(int64_t index) {
  const int64_t share = batch_size_ / shard_count_;
  BatchPlan plan;
  plan.indices = batch_indices(index).narrow(0, shard_rank_ * share, share);
  if (xflip_) {
    auto generator =
        at::detail::createCPUGenerator(seed_ * 7919ULL + static_cast<uint64_t>(index) * 2654435761ULL + 17);
    plan.flip = (torch::rand({batch_size_}, generator) < 0.5).narrow(0, shard_rank_ * share, share);
  }
  return plan;
}

torch::Tensor gather_batch(const torch::Tensor& images, const torch::Tensor& indices, const torch::Tensor& flip) {
  auto nhwc = images.index_select(0, indices);
  if (flip.defined()) nhwc = torch::where(flip.view({-1, 1, 1, 1}), nhwc.flip({2}), nhwc);
  return nhwc.permute({0, 3, 1, 2});
}

torch::Tensor EpochBatcher::batch(int64_t index) {
  auto p = plan(index);
  return gather_batch(dataset_.images, p.indices, p.flip).contiguous();
}

HostBatch EpochBatcher::labeled_batch(int64_t index) { return labeled_batch(index, dataset_); }

HostBatch EpochBatcher::labeled_batch(int64_t index, const ImageDataset& data) {
  auto p = plan(index);
  HostBatch out{gather_batch(data.images, p.indices, p.flip).contiguous(), {}};
  if (data.has_labels()) out.labels = data.labels.index_select(0, p.indices);
  return out;
}

}  // namespace wgan
