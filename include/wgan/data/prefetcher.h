// Fetches the next batch on a background thread while the current one trains, so the training
// loop never waits on indexing, flipping or layout conversion. Batches are requested by index
// in order (the data cursor), so "next" is always index + 1.
#pragma once
#include <torch/torch.h>

#include <functional>
#include <future>

#include "wgan/data/batcher.h"

namespace wgan {

class BatchPrefetcher {
 public:
  explicit BatchPrefetcher(std::function<HostBatch(int64_t)> fetch) : fetch_(std::move(fetch)) {}
  ~BatchPrefetcher() {
    if (pending_.valid()) pending_.wait();
  }
  BatchPrefetcher(const BatchPrefetcher&) = delete;
  BatchPrefetcher& operator=(const BatchPrefetcher&) = delete;

  // Drops the batch fetched ahead: the data it came from changed (a --grow phase).
  void discard() {
    if (pending_.valid()) pending_.wait();
    pending_ = std::future<HostBatch>();
    pending_index_ = -1;
  }

  // Batch `index` (from the background fetch when it was the one expected), then starts index + 1.
  HostBatch get(int64_t index) {
    HostBatch batch;
    if (pending_.valid() && pending_index_ == index) {
      batch = pending_.get();
    } else {
      if (pending_.valid()) pending_.wait();
      batch = fetch_(index);
    }
    pending_index_ = index + 1;
    pending_ = std::async(std::launch::async, fetch_, index + 1);
    return batch;
  }

 private:
  std::function<HostBatch(int64_t)> fetch_;
  std::future<HostBatch> pending_;
  int64_t pending_index_ = -1;
};

}  // namespace wgan
