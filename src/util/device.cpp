#include "wgan/util/device.h"

#include "wgan/util/error.h"

namespace wgan {

namespace {
int g_default_cuda_index = 0;
}  // namespace

void set_default_cuda_index(int index) { g_default_cuda_index = index; }

torch::Device resolve_device(const std::string& name) {
  if (name != "cpu" && name != "cuda" && name != "auto")
    throw UserError("--device '" + name + "' must be cpu, cuda or auto");
  if (name == "cpu") return torch::kCPU;
  const bool has_cuda = torch::cuda::is_available();
  const auto cuda = torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(g_default_cuda_index));
  if (name == "cuda") {
    if (!has_cuda) throw UserError("--device cuda: no CUDA device is available to this LibTorch build");
    return cuda;
  }
  return has_cuda ? cuda : torch::Device(torch::kCPU);
}

}  // namespace wgan
