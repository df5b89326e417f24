// --cuda-graph: one whole training iteration (n critic steps, the generator step, the EMA) recorded
// once as a CUDA graph and then replayed, so the host issues one launch per iteration instead of
// thousands. Compiled only where LibTorch has CUDA (WGAN_CUDA_GRAPHS); elsewhere constructing one
// is a UserError naming the flag.
#pragma once
#include <functional>
#include <memory>

namespace wgan {

class StepGraph {
 public:
  static bool compiled();  // whether this build can capture graphs at all
  StepGraph();
  ~StepGraph();
  StepGraph(const StepGraph&) = delete;
  StepGraph& operator=(const StepGraph&) = delete;

  // Records `body` on a side stream. Nothing runs: the first replay() does the work. The body must
  // not read anything back to the host, and its inputs must live in tensors that stay put.
  void capture(const std::function<void()>& body);
  void replay();
  bool captured() const { return captured_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  bool captured_ = false;
};

}  // namespace wgan
