#include "wgan/models/resnet.h"

#include "wgan/models/architecture.h"

namespace wgan {
namespace nn = torch::nn;

namespace {

nn::Conv2d conv3x3(int64_t in, int64_t out) { return nn::Conv2d(nn::Conv2dOptions(in, out, 3).padding(1)); }
nn::Conv2d conv1x1(int64_t in, int64_t out) { return nn::Conv2d(nn::Conv2dOptions(in, out, 1)); }

}  // namespace

ResidualUpBlockImpl::ResidualUpBlockImpl(int64_t in, int64_t out, int64_t classes)
    : norm1(register_module("norm1", SyncBatchNorm2d(in))),
      norm2(register_module("norm2", SyncBatchNorm2d(out))),
      conv1(register_module("conv1", conv3x3(in, out))),
      conv2(register_module("conv2", conv3x3(out, out))),
      shortcut(register_module("shortcut", conv1x1(in, out))) {
  if (classes > 0) {
    class_norm1 = register_module("class_norm1", ClassAffine(classes, in));
    class_norm2 = register_module("class_norm2", ClassAffine(classes, out));
  }
}

torch::Tensor ResidualUpBlockImpl::forward(const torch::Tensor& x, const torch::Tensor& labels) {
  auto normed = [&labels](SyncBatchNorm2d& norm, ClassAffine& per_class, const torch::Tensor& t) {
    auto y = norm->forward(t);
    return per_class ? per_class->forward(y, labels) : y;
  };
  auto h = conv1->forward(upsample_nearest_2x(torch::relu(normed(norm1, class_norm1, x))));
  h = conv2->forward(torch::relu(normed(norm2, class_norm2, h)));
  return shortcut->forward(upsample_nearest_2x(x)) + h;
}

ResidualDownBlockImpl::ResidualDownBlockImpl(int64_t in, int64_t out, bool downsample, bool first,
                                             CriticNorm norm)
    : downsample_(downsample), first_(first) {
  conv1_ = register_module("conv1", conv3x3(in, first ? out : in));
  conv2_ = register_module("conv2", conv3x3(first ? out : in, out));
  if (downsample || in != out) shortcut_ = register_module("shortcut", conv1x1(in, out));
  if (!first) {
    norm1_ = make_norm(norm, in);
    norm2_ = make_norm(norm, in);
    if (!norm1_.is_empty()) register_module("norm1", norm1_.ptr());
    if (!norm2_.is_empty()) register_module("norm2", norm2_.ptr());
  }
}

torch::Tensor ResidualDownBlockImpl::forward(const torch::Tensor& x) {
  auto normed = [](nn::AnyModule& norm, const torch::Tensor& t) { return norm.is_empty() ? t : norm.forward(t); };
  torch::Tensor h;
  if (first_) {
    h = conv2_->forward(torch::relu(conv1_->forward(x)));
  } else {
    h = conv1_->forward(torch::relu(normed(norm1_, x)));
    h = conv2_->forward(torch::relu(normed(norm2_, h)));
  }
  if (downsample_) h = torch::avg_pool2d(h, 2);
  auto skip = downsample_ ? torch::avg_pool2d(x, 2) : x;
  if (shortcut_) skip = shortcut_->forward(skip);
  return skip + h;
}

ResnetGenerator::ResnetGenerator(const ModelConfig& config)
    : latent_dim(config.latent_dim), width(config.width), classes(config.classes()) {
  const int64_t input_dim = latent_dim + (classes > 0 ? ClassInputImpl::kDim : 0);
  input = register_module("input", nn::Linear(input_dim, width * 4 * 4));
  blocks = register_module("blocks", nn::ModuleList());
  for (int64_t side = 4; side < config.resolution; side *= 2) blocks->push_back(ResidualUpBlock(width, width, classes));
  output_norm = register_module("output_norm", SyncBatchNorm2d(width));
  output_conv = register_module("output_conv", conv3x3(width, config.channels));
  if (classes > 0) output_class_norm = register_module("output_class_norm", ClassAffine(classes, width));
  if (classes > 0) class_input = register_module("class_input", ClassInput(classes));
}

torch::Tensor ResnetGenerator::forward(const torch::Tensor& z, const torch::Tensor& labels) {
  check_labels(labels, classes, z.size(0), "generator");
  auto flat = as_4d_latent(z, latent_dim).flatten(1);
  if (class_input) flat = torch::cat({flat, class_input->forward(labels).to(flat.dtype())}, 1);
  auto x = input->forward(flat).view({-1, width, 4, 4});
  for (const auto& block : *blocks) x = block->as<ResidualUpBlockImpl>()->forward(x, labels);
  x = output_norm->forward(x);
  if (output_class_norm) x = output_class_norm->forward(x, labels);
  return torch::tanh(output_conv->forward(torch::relu(x)));
}

ResnetCritic::ResnetCritic(const ModelConfig& config)
    : channels_(config.channels), resolution_(config.resolution), classes_(config.classes()) {
  const int64_t width = config.width;
  blocks_ = register_module("blocks", nn::ModuleList());
  blocks_->push_back(ResidualDownBlock(config.channels, width, /*downsample=*/true, /*first=*/true, config.critic_norm));
  for (int64_t side = config.resolution / 2; side > 8; side /= 2)
    blocks_->push_back(ResidualDownBlock(width, width, /*downsample=*/true, /*first=*/false, config.critic_norm));
  for (int i = 0; i < 2; ++i)
    blocks_->push_back(ResidualDownBlock(width, width, /*downsample=*/false, /*first=*/false, config.critic_norm));
  output_ = register_module("output", nn::Linear(width, 1));
  class_tail_ = ClassTail(*this, config, width);  // the pooled features
}

torch::Tensor ResnetCritic::forward(const torch::Tensor& images, const torch::Tensor& labels) {
  return run(images, labels, /*classify=*/false).score;
}

CriticOutput ResnetCritic::score_and_classify(const torch::Tensor& images, const torch::Tensor& labels) {
  return run(images, labels, /*classify=*/true);
}

CriticOutput ResnetCritic::run(const torch::Tensor& images, const torch::Tensor& labels, bool classify) {
  check_images(images, channels_, resolution_);
  check_labels(labels, classes_, images.size(0), "critic");
  auto x = images;
  for (const auto& block : *blocks_) x = block->as<ResidualDownBlockImpl>()->forward(x);
  const auto features = torch::relu(x).mean({2, 3});
  return class_tail_.finish(output_->forward(features).view({-1}), features, labels, classify);
}

Architecture resnet_architecture() {
  Architecture row;
  row.name = "resnet";
  row.summary = "the WGAN-GP paper's residual networks, any resolution: the better one in the paper's long "
                "CIFAR-10 runs; on a 2-core CPU about 3.7x dcgan's time per step and behind it at 10, 30 and 60 "
                "minutes (docs/quality.md), so choose it for long GPU runs";
  row.make_generator = [](const ModelConfig& c) { return std::make_shared<ResnetGenerator>(c); };
  row.make_critic = [](const ModelConfig& c) { return std::make_shared<ResnetCritic>(c); };
  // The WGAN-GP paper's CIFAR-10 ResNet settings: lr 2e-4 decayed linearly to 0, no critic norm.
  row.training_defaults = {{"--lr", "2e-4"}, {"--lr-decay", "linear"}, {"--critic-norm", "none"}};
  row.onnx_layout = OnnxLayout::kResidual;
  return row;
}

}  // namespace wgan
