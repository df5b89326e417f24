#include "wgan/models/networks.h"

#include "wgan/models/architecture.h"

namespace wgan {
namespace nn = torch::nn;

namespace {

// Per-image rows of a classes x channels table, shaped to broadcast over B x C x H x W.
torch::Tensor per_image_channels(const torch::Tensor& table, const torch::Tensor& labels) {
  return table.index_select(0, labels).view({labels.size(0), table.size(1), 1, 1});
}

}  // namespace

ClassAffineImpl::ClassAffineImpl(int64_t classes, int64_t channels)
    : gain(register_parameter("gain", torch::zeros({classes, channels}))),
      bias(register_parameter("bias", torch::zeros({classes, channels}))) {}

torch::Tensor ClassAffineImpl::forward(const torch::Tensor& x, const torch::Tensor& labels) {
  return x * (1 + per_image_channels(gain, labels)) + per_image_channels(bias, labels);
}

ClassInputImpl::ClassInputImpl(int64_t classes) : weight(register_parameter("weight", torch::randn({classes, kDim}))) {}

torch::Tensor ClassInputImpl::forward(const torch::Tensor& labels) { return weight.index_select(0, labels); }

ClassProjectionImpl::ClassProjectionImpl(int64_t classes, int64_t features)
    : embedding(register_parameter("embedding", torch::zeros({classes, features}))) {}

torch::Tensor ClassProjectionImpl::forward(const torch::Tensor& features, const torch::Tensor& labels) {
  return (embedding.index_select(0, labels) * features).sum(1);
}

torch::Tensor upsample_nearest_2x(const torch::Tensor& x) {
  const int64_t b = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
  return x.reshape({b, c, h, 1, w, 1}).expand({b, c, h, 2, w, 2}).reshape({b, c, 2 * h, 2 * w});
}

std::shared_ptr<GeneratorNet> make_generator(const ModelConfig& config) {
  validate(config);
  return architecture_of(config).make_generator(config);
}

std::shared_ptr<CriticNet> make_critic(const ModelConfig& config) {
  validate(config);
  return architecture_of(config).make_critic(config);
}

void init_dcgan_weights(torch::nn::Module& module) {
  torch::NoGradGuard no_grad;
  for (auto& child : module.modules(/*include_self=*/false)) {
    const std::string type = child->name();
    const bool is_conv = type.find("Conv") != std::string::npos;
    const bool is_norm = type.find("Norm") != std::string::npos;
    if (!is_conv && !is_norm) continue;
    for (auto& param : child->named_parameters(/*recurse=*/false)) {
      if (param.key() == "weight") {
        if (is_conv) {
          param.value().normal_(0.0, 0.02);
        } else {
          param.value().normal_(1.0, 0.02);
        }
      } else if (param.key() == "bias") {
        param.value().zero_();
      }
    }
  }
}

void copy_module_state(torch::nn::Module& from, torch::nn::Module& to) {
  torch::NoGradGuard no_grad;
  auto src_params = from.named_parameters();
  for (auto& p : to.named_parameters()) p.value().copy_(src_params[p.key()]);
  auto src_buffers = from.named_buffers();
  for (auto& b : to.named_buffers()) b.value().copy_(src_buffers[b.key()]);
}

int64_t count_parameters(torch::nn::Module& module) {
  int64_t n = 0;
  for (const auto& p : module.parameters()) n += p.numel();
  return n;
}

}  // namespace wgan
