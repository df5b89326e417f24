// A trained generator as an ONNX model (opset 13), written with Debian's ONNX library (libonnx-dev,
// its protobuf classes), so that onnxruntime, in a service or in a browser, runs it without PyTorch.
// Input "z" [N, latent] float32, output "images" [N, C, H, W] in [-1, 1]. dcgan and blog: Reshape to
// [N, latent, 1, 1], per stage one ConvTranspose (4x4; the BatchNorm after it folded into its
// weights and bias with the running statistics: inference mode) and Relu, the last ConvTranspose
// and Tanh. resnet: Gemm, Reshape to 4x4, per block BatchNormalization (inference mode), Relu,
// Resize (nearest 2x), Conv, ... and the shortcut's Resize and 1x1 Conv, Add; then
// BatchNormalization, Relu, Conv, Tanh. A conditional generator (--cond) has a second input,
// "class" [N] int64, and after each BatchNorm its class part: Gather of (1 + gain) and of bias by
// class, Reshape to [N, C, 1, 1], Mul and Add. docs/export.md documents all of it.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "wgan/models/networks.h"

namespace wgan {

inline constexpr int kOnnxOpset = 13;

// Whether this build can write ONNX (it was built where libonnx-dev was installed).
bool onnx_export_available();

// The serialised ModelProto of `net` (a dcgan, blog or resnet generator; its BatchNorm running
// statistics are used, as in eval mode). `metadata` becomes the model's metadata_props, in this order.
// Throws UserError for a generator whose layers are not ConvTranspose/BatchNorm stages, or where
// the build has no ONNX library.
// `net` is make_generator(config): the config's architecture (its registry row) says how to write it.
std::string generator_to_onnx(GeneratorNet& net, const ModelConfig& config,
                              const std::vector<std::pair<std::string, std::string>>& metadata);

}  // namespace wgan
