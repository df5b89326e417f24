#include "wgan/train/cuda_graph.h"

#include <torch/torch.h>

#include "wgan/util/error.h"

#if WGAN_CUDA_GRAPHS
#include <ATen/cuda/CUDAContext.h>
#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDAGuard.h>
#endif

namespace wgan {

#if WGAN_CUDA_GRAPHS

struct StepGraph::Impl {
  at::cuda::CUDAGraph graph;
};

bool StepGraph::compiled() { return true; }

StepGraph::StepGraph() : impl_(std::make_unique<Impl>()) {}

void StepGraph::capture(const std::function<void()>& body) {
  torch::cuda::synchronize();  // the eager warm-up steps are done before the capture stream starts
  auto stream = at::cuda::getStreamFromPool();
  {
    c10::cuda::CUDAStreamGuard on_side_stream(stream);
    impl_->graph.capture_begin();
    try {
      body();
    } catch (const std::exception& e) {
      throw UserError(std::string("--cuda-graph: capturing the training iteration failed (") + e.what() +
                      "); run without --cuda-graph");
    }
    impl_->graph.capture_end();
  }
  torch::cuda::synchronize();
  captured_ = true;
}

void StepGraph::replay() { impl_->graph.replay(); }

#else

struct StepGraph::Impl {};

bool StepGraph::compiled() { return false; }

StepGraph::StepGraph() {
  throw UserError("--cuda-graph: this build has no CUDA graph support (LibTorch without CUDA, or built with "
                  "-DWGAN_CUDA_GRAPHS=OFF)");
}

void StepGraph::capture(const std::function<void()>&) {}

void StepGraph::replay() {}

#endif

StepGraph::~StepGraph() = default;

}  // namespace wgan
