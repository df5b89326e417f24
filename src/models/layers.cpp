#include "wgan/models/layers.h"

#include <algorithm>

#include "wgan/util/error.h"

namespace wgan {
namespace nn = torch::nn;

namespace {

// GroupNorm(1, C): layer norm over C, H, W with a per-channel scale and shift (parameters "weight"
// and "bias", as nn::GroupNorm, so checkpoints are unchanged). It normalises in float32: under
// bf16 autocast the CPU's group_norm would otherwise refuse a bf16 input with float32 weights.
class LayerNorm2dImpl : public nn::Module {
 public:
  explicit LayerNorm2dImpl(int64_t channels)
      : weight(register_parameter("weight", torch::ones({channels}))),
        bias(register_parameter("bias", torch::zeros({channels}))) {}
  torch::Tensor forward(const torch::Tensor& x) {
    return torch::group_norm(x.to(torch::kFloat32), 1, weight, bias, /*eps=*/1e-5);
  }
  torch::Tensor weight, bias;
};
TORCH_MODULE(LayerNorm2d);

}  // namespace

nn::AnyModule make_norm(CriticNorm kind, int64_t channels) {
  switch (kind) {
    case CriticNorm::kLayer: return nn::AnyModule(LayerNorm2d(channels));
    case CriticNorm::kInstance: return nn::AnyModule(nn::InstanceNorm2d(nn::InstanceNorm2dOptions(channels).affine(true)));
    case CriticNorm::kBatch: return nn::AnyModule(nn::BatchNorm2d(channels));
    case CriticNorm::kNone: break;
  }
  return {};
}

torch::Tensor PixelNormImpl::forward(const torch::Tensor& x) {
  const auto x32 = x.to(torch::kFloat32);
  return x32 * torch::rsqrt(x32.pow(2).mean(1, /*keepdim=*/true) + 1e-8);
}

torch::Tensor MinibatchStddevImpl::forward(const torch::Tensor& x) {
  const int64_t batch = x.size(0), height = x.size(2), width = x.size(3);
  int64_t group = std::min(kGroup, batch);
  while (batch % group != 0) --group;
  // Image i is member i / groups of group i % groups, so every group holds images from across the batch.
  const int64_t groups = batch / group;
  const auto members = x.to(torch::kFloat32).reshape({group, groups, -1});
  const auto stddev = (members.var(0, /*unbiased=*/false) + 1e-8).sqrt().mean(1);  // one per group
  const auto channel =
      stddev.view({1, groups, 1, 1}).expand({group, groups, height, width}).reshape({batch, 1, height, width});
  return torch::cat({x.to(torch::kFloat32), channel}, 1);
}

nn::Conv2d conv4x4(int64_t in, int64_t out, int64_t stride, int64_t pad, bool bias) {
  return nn::Conv2d(nn::Conv2dOptions(in, out, 4).stride(stride).padding(pad).bias(bias));
}

torch::Tensor as_4d_latent(const torch::Tensor& z, int64_t latent_dim) {
  const bool ok = (z.dim() == 2 || (z.dim() == 4 && z.size(2) == 1 && z.size(3) == 1)) && z.size(1) == latent_dim;
  if (!ok)
    throw UserError("generator: expected latents of shape [batch, " + std::to_string(latent_dim) + "] (or [batch, " +
                    std::to_string(latent_dim) + ", 1, 1]), got " + c10::str(z.sizes()));
  return z.dim() == 2 ? z.view({z.size(0), z.size(1), 1, 1}) : z;
}

void check_images(const torch::Tensor& images, int64_t channels, int64_t resolution) {
  if (images.dim() == 4 && images.size(1) == channels && images.size(2) == resolution && images.size(3) == resolution)
    return;
  throw UserError("critic: expected images of shape [batch, " + std::to_string(channels) + ", " +
                  std::to_string(resolution) + ", " + std::to_string(resolution) + "], got " +
                  c10::str(images.sizes()));
}

void check_labels(const torch::Tensor& labels, int64_t classes, int64_t batch, const char* net) {
  if (classes == 0) {
    if (labels.defined()) throw UserError(std::string(net) + ": this model is unconditional; it takes no class");
    return;
  }
  if (!labels.defined())
    throw UserError(std::string(net) + ": this model is class-conditional (" + std::to_string(classes) +
                    " classes) and needs a class for every image (wgan sample --class NAME)");
  if (labels.dim() != 1 || labels.size(0) != batch || labels.scalar_type() != torch::kInt64)
    throw UserError(std::string(net) + ": expected one int64 class index per image (" + std::to_string(batch) +
                    "), got " + c10::str(labels.sizes()) + " " + c10::toString(labels.scalar_type()));
}

ClassTail::ClassTail(nn::Module& critic, const ModelConfig& config, int64_t features) {
  if (!config.conditional()) return;
  projection_ = critic.register_module("projection", ClassProjection(config.classes(), features));
  if (config.class_head) class_head_ = critic.register_module("class_head", nn::Linear(features, config.classes()));
}

CriticOutput ClassTail::finish(const torch::Tensor& score, const torch::Tensor& features, const torch::Tensor& labels,
                               bool classify) {
  CriticOutput out{score, {}};
  if (projection_) out.score = out.score + projection_->forward(features, labels);
  if (classify && class_head_) out.class_logits = class_head_->forward(features);
  return out;
}

}  // namespace wgan
