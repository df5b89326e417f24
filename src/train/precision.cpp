#include "wgan/train/precision.h"

#include <ATen/autocast_mode.h>
#include <torch/version.h>

#include "wgan/util/error.h"

// LibTorch 2.4 replaced the per-backend autocast calls with ones taking the device type.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
#define WGAN_AUTOCAST_BY_DEVICE 1
#endif

namespace wgan {

bool wants_bf16(const std::string& precision) {
  if (precision == "fp32") return false;
  if (precision == "bf16") return true;
  throw UserError("--precision '" + precision + "' must be fp32 or bf16");
}

namespace {

bool autocast_enabled(c10::DeviceType type) {
#ifdef WGAN_AUTOCAST_BY_DEVICE
  return at::autocast::is_autocast_enabled(type);
#else
  return type == c10::DeviceType::CUDA ? at::autocast::is_enabled() : at::autocast::is_cpu_enabled();
#endif
}

at::ScalarType autocast_dtype(c10::DeviceType type) {
#ifdef WGAN_AUTOCAST_BY_DEVICE
  return at::autocast::get_autocast_dtype(type);
#else
  return type == c10::DeviceType::CUDA ? at::autocast::get_autocast_gpu_dtype()
                                       : at::autocast::get_autocast_cpu_dtype();
#endif
}

void set_autocast(c10::DeviceType type, bool enabled, at::ScalarType dtype) {
#ifdef WGAN_AUTOCAST_BY_DEVICE
  at::autocast::set_autocast_dtype(type, dtype);
  at::autocast::set_autocast_enabled(type, enabled);
#else
  if (type == c10::DeviceType::CUDA) {
    at::autocast::set_autocast_gpu_dtype(dtype);
    at::autocast::set_enabled(enabled);
  } else {
    at::autocast::set_autocast_cpu_dtype(dtype);
    at::autocast::set_cpu_enabled(enabled);
  }
#endif
}

}  // namespace

AutocastScope::AutocastScope(torch::Device device, bool enabled) : active_(enabled), type_(device.type()) {
  if (!active_) return;
  previous_ = autocast_enabled(type_);
  previous_dtype_ = autocast_dtype(type_);
  set_autocast(type_, true, at::kBFloat16);
}

AutocastScope::~AutocastScope() {
  if (!active_) return;
  set_autocast(type_, previous_, previous_dtype_);
  if (!previous_) at::autocast::clear_cache();
}

}  // namespace wgan
