// Which device a run uses: --device cpu|cuda|auto, and which GPU "cuda" means in this process.
#pragma once
#include <torch/torch.h>

#include <string>

#include "wgan/util/named_enum.h"

namespace wgan {

// --device: auto is cuda when LibTorch sees a GPU, else cpu.
enum class DeviceChoice { kAuto, kCpu, kCuda };
template <>
struct EnumNames<DeviceChoice> {
  static constexpr NamedValue<DeviceChoice> values[] = {
      {DeviceChoice::kAuto, "auto"}, {DeviceChoice::kCpu, "cpu"}, {DeviceChoice::kCuda, "cuda"}};
};

// The device the choice means here; UserError when cuda is asked for and absent.
torch::Device resolve_device(DeviceChoice choice);
// Which GPU "cuda" means in this process (a distributed worker uses its LOCAL_RANK's).
void set_default_cuda_index(int index);

}  // namespace wgan
