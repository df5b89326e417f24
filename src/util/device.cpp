#include "wgan/util/device.h"

#include "wgan/util/error.h"

namespace wgan {

namespace {
int g_default_cuda_index = 0;
}  // namespace

void set_default_cuda_index(int index) { g_default_cuda_index = index; }

torch::Device resolve_device(DeviceChoice choice) {
  if (choice == DeviceChoice::kCpu) return torch::kCPU;
  const bool has_cuda = torch::cuda::is_available();
  const auto cuda = torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(g_default_cuda_index));
  if (choice == DeviceChoice::kCuda) {
    if (!has_cuda) throw UserError("--device cuda: no CUDA device is available to this LibTorch build");
    return cuda;
  }
  return has_cuda ? cuda : torch::Device(torch::kCPU);
}

}  // namespace wgan
