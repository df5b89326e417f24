#include "wgan/models/precision.h"

#include <ATen/autocast_mode.h>
#include <torch/version.h>

#include "wgan/util/error.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif
#if WGAN_WITH_CUDA
#include <ATen/cuda/CUDAContext.h>
#endif

// LibTorch 2.4 replaced the per-backend autocast calls with ones taking the device type.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
#define WGAN_AUTOCAST_BY_DEVICE 1
#endif

namespace wgan {

bool wants_bf16(Precision precision) {
  if (precision == Precision::kAuto) throw std::logic_error("wants_bf16: --precision auto was not resolved");
  return precision == Precision::kBf16;
}

namespace {

bool cpu_has_native_bf16() {
#if defined(__x86_64__) || defined(__i386__)
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (__get_cpuid_max(0, nullptr) < 7) return false;
  __cpuid_count(7, 0, eax, ebx, ecx, edx);
  const bool amx_bf16 = (edx >> 22) & 1u;
  const bool avx512f = (ebx >> 16) & 1u;
  __cpuid_count(7, 1, eax, ebx, ecx, edx);
  const bool avx512_bf16 = avx512f && ((eax >> 5) & 1u);
  return avx512_bf16 || amx_bf16;
#else
  return false;
#endif
}

}  // namespace

bool has_native_bf16(torch::Device device) {
  if (device.is_cpu()) return cpu_has_native_bf16();
#if WGAN_WITH_CUDA
  if (device.is_cuda()) return at::cuda::getDeviceProperties(device.index() < 0 ? 0 : device.index())->major >= 8;
#endif
  return false;
}

Precision resolve_precision(Precision precision, torch::Device device, std::string* notice) {
  if (precision != Precision::kAuto) return precision;
  if (has_native_bf16(device)) return Precision::kBf16;
  if (notice) {
    *notice = device.is_cpu() ? "--precision auto: this CPU has no bfloat16 instructions (avx512_bf16 or amx_bf16), "
                                "so training runs in float32"
                              : "--precision auto: " + device.str() + " has no native bfloat16 (compute capability "
                                "below 8.0), so training runs in float32";
  }
  return Precision::kFp32;
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
