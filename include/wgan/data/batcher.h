// Hands out shuffled minibatches epoch after epoch. The order of epoch e is a permutation drawn
// from (seed, e) alone, so a resumed run that knows how many batches it has consumed continues
// in exactly the same order. The last partial batch of each epoch is dropped.
#pragma once
#include <torch/torch.h>

#include "wgan/data/dataset.h"

namespace wgan {

// Which images make up one batch (this rank's share) and which of them are mirrored.
struct BatchPlan {
  torch::Tensor indices;  // int64, positions in the dataset
  torch::Tensor flip;     // bool, one per index; undefined when --xflip is off
};

// One batch as the host hands it out: the images and, when the dataset has classes, their labels.
struct HostBatch {
  torch::Tensor images;  // uint8 B x C x H x W, contiguous
  torch::Tensor labels;  // int64 B; undefined without classes
};

// Rows `indices` of uint8 N x H x W x C `images`, mirrored left-right where `flip` is true (flip
// may be undefined), as an N x C x H x W view of NHWC memory. The one gather both the host batcher
// and the GPU batches (device_batches.h) use, so the two cannot drift apart.
torch::Tensor gather_batch(const torch::Tensor& images, const torch::Tensor& indices, const torch::Tensor& flip);

class EpochBatcher {
 public:
  // `xflip`: mirror each image left-right with probability 1/2, decided by (seed, batch index).
  EpochBatcher(const ImageDataset& dataset, int64_t batch_size, uint64_t seed, bool xflip = false);

  int64_t batches_per_epoch() const { return batches_per_epoch_; }

  // Distributed training: batch() returns only rank `rank`'s contiguous 1/world of each batch
  // (the batch size must divide evenly). The order and flips are those of the whole batch.
  void set_shard(int rank, int world);

  // The `index`-th batch since the start of training (uint8, B x C x H x W, contiguous).
  torch::Tensor batch(int64_t index);
  // The same batch with its labels (when the dataset has them).
  HostBatch labeled_batch(int64_t index);
  // The same rows of `data`, a dataset of the same images at another resolution (--grow).
  HostBatch labeled_batch(int64_t index, const ImageDataset& data);

  // Positions of the `index`-th batch in the dataset.
  torch::Tensor batch_indices(int64_t index);

  // The rows and mirror flags batch() gathers, for a gather done elsewhere (on the GPU).
  BatchPlan plan(int64_t index);

 private:
  const ImageDataset& dataset_;
  int64_t batch_size_;
  uint64_t seed_;
  bool xflip_;
  int shard_rank_ = 0;
  int shard_count_ = 1;
  int64_t batches_per_epoch_;
  int64_t cached_epoch_ = -1;
  torch::Tensor order_;
};

}  // namespace wgan
