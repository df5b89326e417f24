#include "wgan/dist/process_group.h"

#include <chrono>
#include <cstdlib>
#include <map>

#include "wgan/util/error.h"

#if WGAN_WITH_DIST
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#endif
#if WGAN_WITH_DIST && WGAN_WITH_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

namespace wgan {

namespace {

int read_int_env(const char* name, int fallback, bool required) {
  const char* text = std::getenv(name);
  if (!text || !*text) {
    if (required) throw UserError(std::string("environment variable ") + name + " is not set (WORLD_SIZE is)");
    return fallback;
  }
  try {
    size_t used = 0;
    const int value = std::stoi(text, &used);
    if (used != std::string(text).size() || value < 0) throw std::invalid_argument(text);
    return value;
  } catch (const std::exception&) {
    throw UserError(std::string("environment variable ") + name + "='" + text + "' is not a non-negative integer");
  }
}

}  // namespace

DistOptions dist_options_from_environment() {
  DistOptions o;
  o.world_size = read_int_env("WORLD_SIZE", 1, false);
  if (o.world_size <= 1) {
    o.world_size = 1;
    return o;
  }
  o.rank = read_int_env("RANK", 0, true);
  o.local_rank = read_int_env("LOCAL_RANK", o.rank, false);
  if (const char* addr = std::getenv("MASTER_ADDR"); addr && *addr) o.master_addr = addr;
  o.master_port = read_int_env("MASTER_PORT", 29500, false);
  if (o.rank >= o.world_size)
    throw UserError("RANK=" + std::to_string(o.rank) + " is not below WORLD_SIZE=" + std::to_string(o.world_size));
  if (o.master_port < 1 || o.master_port > 65535) throw UserError("MASTER_PORT must be in 1..65535");
  return o;
}

#if WGAN_WITH_DIST
namespace {

c10d::ReduceOp to_c10d(ReduceOp op) {
  switch (op) {
    case ReduceOp::kMax: return c10d::ReduceOp::MAX;
    case ReduceOp::kMin: return c10d::ReduceOp::MIN;
    default: return c10d::ReduceOp::SUM;
  }
}

// One implementation for either backend class (their common base differs between LibTorch
// versions: ProcessGroup in 1.13, Backend in 2.x).
template <class Group>
class C10dGroup : public ProcessGroup {
 public:
  C10dGroup(c10::intrusive_ptr<Group> group, int rank, int world, std::string backend, torch::Device device)
      : group_(std::move(group)) {
    device_ = device;
    rank_ = rank;
    world_size_ = world;
    backend_ = std::move(backend);
  }
  void allreduce_(torch::Tensor& tensor, ReduceOp op) override {
    std::vector<torch::Tensor> tensors{tensor};
    c10d::AllreduceOptions options;
    options.reduceOp = to_c10d(op);
    wait(group_->allreduce(tensors, options), "allreduce");
  }
  void broadcast_(torch::Tensor& tensor, int root) override {
    std::vector<torch::Tensor> tensors{tensor};
    c10d::BroadcastOptions options;
    options.rootRank = root;
    wait(group_->broadcast(tensors, options), "broadcast");
  }

 private:
  void wait(const c10::intrusive_ptr<c10d::Work>& work, const char* what) {
    try {
      work->wait();
    } catch (const std::exception& e) {
      throw std::runtime_error("rank " + std::to_string(rank_) + ": " + what +
                               " across ranks failed; another rank stopped or timed out (" +
                               std::string(e.what()).substr(0, 300) + ")");
    }
  }
  c10::intrusive_ptr<Group> group_;
};

}  // namespace

bool distributed_available() { return true; }

std::shared_ptr<ProcessGroup> join_process_group(const DistOptions& o, torch::Device device) {
  std::string backend = o.backend == "auto" ? (device.is_cuda() ? "nccl" : "gloo") : o.backend;
  if (backend != "gloo" && backend != "nccl")
    throw UserError("--dist-backend '" + o.backend + "' must be gloo, nccl or auto");
  const auto timeout = std::chrono::milliseconds(static_cast<int64_t>(o.timeout_s) * 1000);
  c10d::TCPStoreOptions store_options;
  store_options.port = static_cast<std::uint16_t>(o.master_port);
  store_options.isServer = o.rank == 0;
  store_options.numWorkers = static_cast<std::size_t>(o.world_size);
  store_options.waitWorkers = true;
  store_options.timeout = timeout;
  c10::intrusive_ptr<c10d::Store> store;
  try {
    store = c10::make_intrusive<c10d::TCPStore>(o.master_addr, store_options);
  } catch (const std::exception& e) {
    throw UserError("rank " + std::to_string(o.rank) + ": rendezvous at " + o.master_addr + ":" +
                    std::to_string(o.master_port) + " failed (" + std::string(e.what()).substr(0, 300) +
                    "); check MASTER_ADDR/MASTER_PORT and that all " + std::to_string(o.world_size) +
                    " ranks started");
  }
  if (backend == "nccl") {
#if WGAN_WITH_NCCL
    auto options = c10d::ProcessGroupNCCL::Options::create();
    options->timeout = timeout;
    auto group = c10::make_intrusive<c10d::ProcessGroupNCCL>(store, o.rank, o.world_size, options);
    return std::make_shared<C10dGroup<c10d::ProcessGroupNCCL>>(group, o.rank, o.world_size, "nccl", device);
#else
    throw UserError("--dist-backend nccl: this build has no NCCL (it needs a CUDA LibTorch); use gloo");
#endif
  }
  auto options = c10d::ProcessGroupGloo::Options::create();
  options->timeout = timeout;
  // Which interface Gloo talks on: GLOO_SOCKET_IFNAME as in PyTorch, loopback when the master is
  // this machine's loopback, else the interface this host's name resolves to.
  const char* ifname = std::getenv("GLOO_SOCKET_IFNAME");
  if (ifname && *ifname) {
    options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(ifname));
  } else if (o.master_addr == "localhost" || o.master_addr.rfind("127.", 0) == 0) {
    options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
  } else {
    options->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
  }
  auto group = c10::make_intrusive<c10d::ProcessGroupGloo>(store, o.rank, o.world_size, options);
  return std::make_shared<C10dGroup<c10d::ProcessGroupGloo>>(group, o.rank, o.world_size, "gloo", device);
}
#else
bool distributed_available() { return false; }

std::shared_ptr<ProcessGroup> join_process_group(const DistOptions&, torch::Device) {
  throw UserError("this wgan was built without c10d (Gloo headers were not found at configure time; on Debian: "
                  "apt-get install libgloo-dev, then rebuild)");
}
#endif

namespace {

// Rank 0's values of `tensors` everywhere, one flat broadcast per dtype.
void broadcast_tensors(ProcessGroup& group, const std::vector<torch::Tensor>& all) {
  if (group.world_size() == 1 || all.empty()) return;
  torch::NoGradGuard no_grad;
  std::map<c10::ScalarType, std::vector<torch::Tensor>> by_dtype;
  for (const auto& t : all) by_dtype[t.scalar_type()].push_back(t);
  for (auto& [dtype, tensors] : by_dtype) {
    std::vector<torch::Tensor> flat_parts;
    for (auto& t : tensors) flat_parts.push_back(t.reshape(-1));
    auto flat = torch::cat(flat_parts);
    group.broadcast_(flat, 0);
    int64_t offset = 0;
    for (auto& t : tensors) {
      t.copy_(flat.narrow(0, offset, t.numel()).view_as(t));
      offset += t.numel();
    }
  }
}

}  // namespace

void broadcast_module(ProcessGroup& group, torch::nn::Module& module) {
  auto all = module.parameters();
  for (auto& b : module.buffers()) all.push_back(b);
  broadcast_tensors(group, all);
}

void broadcast_buffers(ProcessGroup& group, torch::nn::Module& module) { broadcast_tensors(group, module.buffers()); }

void average_gradients(ProcessGroup& group, const std::vector<torch::Tensor>& parameters, int64_t bucket_bytes) {
  if (group.world_size() == 1) return;
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> bucket;
  int64_t bytes = 0;
  auto flush = [&]() {
    if (bucket.empty()) return;
    std::vector<torch::Tensor> parts;
    for (auto& p : bucket) parts.push_back(p.grad().reshape(-1));
    auto flat = torch::cat(parts);
    group.allreduce_(flat, ReduceOp::kSum);
    flat.div_(static_cast<double>(group.world_size()));
    int64_t offset = 0;
    for (auto& p : bucket) {
      p.mutable_grad().copy_(flat.narrow(0, offset, p.numel()).view_as(p));
      offset += p.numel();
    }
    bucket.clear();
    bytes = 0;
  };
  for (const auto& p : parameters) {
    if (!p.requires_grad()) continue;
    // Every rank must send the same layout: a parameter without a gradient contributes zeros.
    if (!p.grad().defined()) const_cast<torch::Tensor&>(p).mutable_grad() = torch::zeros_like(p);
    if (!bucket.empty() && (bucket.front().scalar_type() != p.scalar_type() ||
                            bytes + p.numel() * static_cast<int64_t>(p.element_size()) > bucket_bytes))
      flush();
    bucket.push_back(p);
    bytes += p.numel() * static_cast<int64_t>(p.element_size());
  }
  flush();
}

bool any_rank(ProcessGroup& group, bool flag) { return any_rank(group, std::vector<bool>{flag})[0]; }

std::vector<bool> any_rank(ProcessGroup& group, const std::vector<bool>& flags) {
  if (group.world_size() == 1 || flags.empty()) return flags;
  std::vector<int32_t> values(flags.begin(), flags.end());
  auto t = torch::tensor(values, torch::kInt32).to(group.device());
  group.allreduce_(t, ReduceOp::kMax);
  t = t.cpu();
  std::vector<bool> out;
  for (int64_t i = 0; i < t.numel(); ++i) out.push_back(t[i].item<int32_t>() != 0);
  return out;
}

double max_rank_difference(ProcessGroup& group, torch::nn::Module& module) {
  if (group.world_size() == 1) return 0.0;
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> parts;
  for (auto& p : module.parameters()) parts.push_back(p.reshape(-1).to(torch::kFloat64));
  for (auto& b : module.buffers()) parts.push_back(b.reshape(-1).to(torch::kFloat64));
  if (parts.empty()) return 0.0;
  auto high = torch::cat(parts);
  auto low = high.clone();
  group.allreduce_(high, ReduceOp::kMax);
  group.allreduce_(low, ReduceOp::kMin);
  return (high - low).abs().max().item<double>();
}

}  // namespace wgan
