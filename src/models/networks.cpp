#include "wgan/models/networks.h"

#include "wgan/dist/sync_batch_norm.h"
#include "wgan/util/error.h"

#include <algorithm>

namespace wgan {
namespace nn = torch::nn;

namespace {

int64_t log2_int(int64_t v) {
  int64_t n = 0;
  while ((int64_t{1} << n) < v) ++n;
  return n;
}

// Channels at pyramid level `level` (0 = 4x4) for `levels` stride-2 stages: width at the top,
// doubling towards 4x4, capped at 8x width so 256x256 stays affordable.
int64_t level_channels(int64_t width, int64_t levels, int64_t level) {
  return width * std::min<int64_t>(int64_t{1} << (levels - 1 - level), 8);
}

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

nn::AnyModule make_norm(const std::string& kind, int64_t channels) {
  if (kind == "layer") return nn::AnyModule(LayerNorm2d(channels));
  if (kind == "instance") return nn::AnyModule(nn::InstanceNorm2d(nn::InstanceNorm2dOptions(channels).affine(true)));
  if (kind == "batch") return nn::AnyModule(nn::BatchNorm2d(channels));
  return {};
}

nn::Conv2d conv(int64_t in, int64_t out, int64_t stride, int64_t pad, bool bias) {
  return nn::Conv2d(nn::Conv2dOptions(in, out, 4).stride(stride).padding(pad).bias(bias));
}

// z as B x latent x 1 x 1; a clear error for any other shape (instead of a failure deep in a layer).
torch::Tensor as_4d_latent(const torch::Tensor& z, int64_t latent_dim) {
  const bool ok = (z.dim() == 2 || (z.dim() == 4 && z.size(2) == 1 && z.size(3) == 1)) && z.size(1) == latent_dim;
  if (!ok)
    throw UserError("generator: expected latents of shape [batch, " + std::to_string(latent_dim) + "] (or [batch, " +
                    std::to_string(latent_dim) + ", 1, 1]), got " + c10::str(z.sizes()));
  return z.dim() == 2 ? z.view({z.size(0), z.size(1), 1, 1}) : z;
}

// Images as the critic was built for: B x channels x resolution x resolution.
void check_images(const torch::Tensor& images, int64_t channels, int64_t resolution) {
  if (images.dim() == 4 && images.size(1) == channels && images.size(2) == resolution && images.size(3) == resolution)
    return;
  throw UserError("critic: expected images of shape [batch, " + std::to_string(channels) + ", " +
                  std::to_string(resolution) + ", " + std::to_string(resolution) + "], got " +
                  c10::str(images.sizes()));
}

// None for an unconditional network; one int64 class index per image for a conditional one.
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

DcganGenerator::DcganGenerator(const ModelConfig& config)
    : latent_dim_(config.latent_dim), classes_(config.classes()) {
  const int64_t levels = log2_int(config.resolution) - 2;  // stride-2 stages from 4x4
  nn::Sequential body;
  int64_t in = config.latent_dim + (classes_ > 0 ? ClassInputImpl::kDim : 0);
  if (classes_ > 0) class_input_ = register_module("class_input", ClassInput(classes_));
  for (int64_t level = 0; level < levels; ++level) {
    const int64_t out = level_channels(config.width, levels, level);
    const std::string id = std::to_string(level + 1);
    body->push_back("convt" + id, UpsampleConv(in, out, /*from_1x1=*/level == 0, /*bias=*/false));
    // Plain BatchNorm unless --sync-bn gives SyncBatchNorm2d a process group (same names, same math).
    body->push_back("norm" + id, SyncBatchNorm2d(out));
    class_norm_after_.resize(body->size(), ClassAffine(nullptr));
    if (classes_ > 0) class_norm_after_.back() = register_module("class_norm" + id, ClassAffine(classes_, out));
    body->push_back("relu" + id, nn::ReLU());
    in = out;
  }
  body->push_back("convt" + std::to_string(levels + 1),
                  UpsampleConv(in, config.channels, /*from_1x1=*/false, /*bias=*/true));
  body->push_back("tanh", nn::Tanh());
  class_norm_after_.resize(body->size(), ClassAffine(nullptr));
  body_ = register_module("body", body);
  init_dcgan_weights(*this);
}

torch::Tensor DcganGenerator::forward(const torch::Tensor& z, const torch::Tensor& labels) {
  check_labels(labels, classes_, z.size(0), "generator");
  auto x = as_4d_latent(z, latent_dim_);
  if (classes_ == 0) return body_->forward(x);
  x = torch::cat({x, class_input_->forward(labels).view({x.size(0), ClassInputImpl::kDim, 1, 1}).to(x.dtype())}, 1);
  size_t position = 0;
  for (auto& layer : *body_) {
    x = layer.forward(x);
    if (class_norm_after_[position]) x = class_norm_after_[position]->forward(x, labels);
    ++position;
  }
  return x;
}

DcganCritic::DcganCritic(const ModelConfig& config)
    : channels_(config.channels), resolution_(config.resolution), classes_(config.classes()) {
  const int64_t levels = log2_int(config.resolution) - 2;
  const bool bias = config.critic_norm == "none";
  nn::Sequential body;
  int64_t in = config.channels;
  for (int64_t level = levels - 1, id = 1; level >= 0; --level, ++id) {
    const int64_t out = level_channels(config.width, levels, level);
    const std::string name = std::to_string(id);
    body->push_back("conv" + name, conv(in, out, 2, 1, id == 1 || bias));
    if (id > 1) {
      auto norm = make_norm(config.critic_norm, out);
      if (!norm.is_empty()) body->push_back("norm" + name, std::move(norm));
    }
    body->push_back("lrelu" + name, nn::LeakyReLU(nn::LeakyReLUOptions().negative_slope(0.2)));
    in = out;
  }
  body->push_back("conv" + std::to_string(levels + 1), conv(in, 1, 1, 0, true));
  body_ = register_module("body", body);
  if (classes_ > 0) projection_ = register_module("projection", ClassProjection(classes_, in * 4 * 4));
  if (config.class_head) class_head_ = register_module("class_head", nn::Linear(in * 4 * 4, classes_));
  init_dcgan_weights(*this);
}

torch::Tensor DcganCritic::forward(const torch::Tensor& images, const torch::Tensor& labels) {
  return run(images, labels, /*classify=*/false).score;
}

CriticOutput DcganCritic::score_and_classify(const torch::Tensor& images, const torch::Tensor& labels) {
  return run(images, labels, /*classify=*/true);
}

CriticOutput DcganCritic::run(const torch::Tensor& images, const torch::Tensor& labels, bool classify) {
  check_images(images, channels_, resolution_);
  check_labels(labels, classes_, images.size(0), "critic");
  if (classes_ == 0) return {body_->forward(images).view({-1}), {}};
  // The last convolution reads the 4x4 features; the projection term and the class head read the same.
  auto x = images;
  CriticOutput out;
  size_t position = 0;
  const size_t last = body_->size() - 1;
  for (auto& layer : *body_) {
    if (position++ < last) {
      x = layer.forward(x);
      continue;
    }
    const auto features = x.flatten(1);
    out.score = layer.forward(x).view({-1}) + projection_->forward(features, labels);
    if (classify && class_head_) out.class_logits = class_head_->forward(features);
  }
  return out;
}

BlogGenerator::BlogGenerator() {
  const int64_t chans[] = {100, 512, 256, 128, 64, 3};
  for (int i = 0; i < 5; ++i) {
    convt_[i] = register_module("ConvT" + std::to_string(i + 1),
                                UpsampleConv(chans[i], chans[i + 1], /*from_1x1=*/i == 0, /*bias=*/false));
    if (i < 4) norm_[i] = register_module("batchN" + std::to_string(i + 1), nn::BatchNorm2d(chans[i + 1]));
  }
  init_dcgan_weights(*this);
}

torch::Tensor BlogGenerator::forward(const torch::Tensor& z, const torch::Tensor& labels) {
  check_labels(labels, 0, z.size(0), "generator");
  auto x = as_4d_latent(z, 100);
  for (int i = 0; i < 4; ++i) x = torch::relu(norm_[i]->forward(convt_[i]->forward(x)));
  return torch::tanh(convt_[4]->forward(x));
}

BlogCritic::BlogCritic(const ModelConfig& config) {
  const int64_t chans[] = {3, 64, 128, 256, 512, 1};
  for (int i = 0; i < 5; ++i) {
    conv_[i] = register_module("conv" + std::to_string(i + 1), i < 4 ? conv(chans[i], chans[i + 1], 2, 1, false)
                                                                     : conv(chans[i], chans[i + 1], 1, 0, false));
    if (i < 4) {
      norm_[i] = make_norm(config.critic_norm, chans[i + 1]);
      if (!norm_[i].is_empty()) register_module("batchN" + std::to_string(i + 1), norm_[i].ptr());
    }
  }
  init_dcgan_weights(*this);
}

torch::Tensor BlogCritic::forward(const torch::Tensor& images, const torch::Tensor& labels) {
  check_images(images, 3, 64);
  check_labels(labels, 0, images.size(0), "critic");
  auto x = images;
  for (int i = 0; i < 4; ++i) {
    x = conv_[i]->forward(x);
    if (!norm_[i].is_empty()) x = norm_[i].forward(x);
    x = torch::leaky_relu(x, 0.2);
  }
  return conv_[4]->forward(x).view({-1});
}

torch::Tensor upsample_nearest_2x(const torch::Tensor& x) {
  const int64_t b = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
  return x.reshape({b, c, h, 1, w, 1}).expand({b, c, h, 2, w, 2}).reshape({b, c, 2 * h, 2 * w});
}

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
                                             const std::string& norm)
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
  if (classes_ > 0) projection_ = register_module("projection", ClassProjection(classes_, width));
  if (config.class_head) class_head_ = register_module("class_head", nn::Linear(width, classes_));
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
  CriticOutput out{output_->forward(features).view({-1}), {}};
  if (projection_) out.score = out.score + projection_->forward(features, labels);
  if (classify && class_head_) out.class_logits = class_head_->forward(features);
  return out;
}

std::shared_ptr<GeneratorNet> make_generator(const ModelConfig& config) {
  validate(config);
  const std::string arch = canonical_arch(config.arch);
  if (arch == "blog") return std::make_shared<BlogGenerator>();
  if (arch == "resnet") return std::make_shared<ResnetGenerator>(config);
  return std::make_shared<DcganGenerator>(config);
}

std::shared_ptr<CriticNet> make_critic(const ModelConfig& config) {
  validate(config);
  const std::string arch = canonical_arch(config.arch);
  if (arch == "blog") return std::make_shared<BlogCritic>(config);
  if (arch == "resnet") return std::make_shared<ResnetCritic>(config);
  return std::make_shared<DcganCritic>(config);
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
