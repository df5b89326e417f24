// Data-parallel training on PyTorch's own distributed engine, c10d: a process group (Gloo on
// CPUs, NCCL on CUDA GPUs) joined through c10d's TCPStore, with the environment torchrun and
// common Slurm wrappers set (WORLD_SIZE, RANK, LOCAL_RANK, MASTER_ADDR, MASTER_PORT).
#pragma once
#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

namespace wgan {

struct DistOptions {
  int rank = 0;
  int world_size = 1;
  int local_rank = 0;
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
  std::string backend = "auto";  // gloo, nccl, or auto (nccl for cuda, gloo otherwise)
  int timeout_s = 300;           // a collective that waits longer than this fails (a hung or dead rank)
};

// Reads WORLD_SIZE, RANK, LOCAL_RANK, MASTER_ADDR, MASTER_PORT. world_size 1 when WORLD_SIZE is
// unset. UserError naming the variable when one is malformed or missing.
DistOptions dist_options_from_environment();

enum class ReduceOp { kSum, kMax, kMin };

// The collectives wgan needs, on one c10d process group.
class ProcessGroup {
 public:
  virtual ~ProcessGroup() = default;
  int rank() const { return rank_; }
  int world_size() const { return world_size_; }
  bool is_main() const { return rank_ == 0; }
  const std::string& backend() const { return backend_; }
  torch::Device device() const { return device_; }  // where collective tensors live (NCCL: the GPU)

  virtual void allreduce_(torch::Tensor& tensor, ReduceOp op) = 0;
  virtual void broadcast_(torch::Tensor& tensor, int root) = 0;

 protected:
  int rank_ = 0;
  int world_size_ = 1;
  std::string backend_;
  torch::Device device_ = torch::kCPU;
};

// Joins the group described by `options` on `device` (rendezvous through a TCPStore served by
// rank 0). UserError when this build lacks the backend or the rendezvous times out.
std::shared_ptr<ProcessGroup> join_process_group(const DistOptions& options, torch::Device device);

// True when c10d (Gloo) was compiled in.
bool distributed_available();

// Rank 0's parameters and buffers everywhere (one flat buffer per dtype).
void broadcast_module(ProcessGroup& group, torch::nn::Module& module);

// Rank 0's buffers (BatchNorm running statistics) everywhere, as PyTorch's DDP does before each
// forward by default (broadcast_buffers=True): without --sync-bn each rank's statistics follow its
// own share of the batch, and the ranks must still hold one model.
void broadcast_buffers(ProcessGroup& group, torch::nn::Module& module);

// Gradients summed across ranks and divided by the world size, in flat buckets of at most
// `bucket_bytes` (one collective per bucket, not per tensor). Missing gradients count as zero.
void average_gradients(ProcessGroup& group, const std::vector<torch::Tensor>& parameters,
                       int64_t bucket_bytes = 32 << 20);

// True on every rank when `flag` is true on any rank.
bool any_rank(ProcessGroup& group, bool flag);
// The same for several flags in one collective: flags[i] is true everywhere when it is on any rank.
std::vector<bool> any_rank(ProcessGroup& group, const std::vector<bool>& flags);

// Largest absolute difference between ranks over every parameter and buffer of `module`
// (0 when all ranks hold the same values).
double max_rank_difference(ProcessGroup& group, torch::nn::Module& module);

}  // namespace wgan
