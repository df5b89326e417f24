#include "wgan/models/blog.h"

#include "wgan/models/architecture.h"
#include "wgan/models/layers.h"
#include "wgan/util/error.h"

namespace wgan {
namespace nn = torch::nn;

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
    conv_[i] = register_module("conv" + std::to_string(i + 1), i < 4 ? conv4x4(chans[i], chans[i + 1], 2, 1, false)
                                                                     : conv4x4(chans[i], chans[i + 1], 1, 0, false));
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

namespace {

// The blog post's networks are one fixed size: 100-dimensional z, width 64, 64x64 RGB.
void check_blog(const ModelConfig& c, bool shape_known) {
  if (c.latent_dim != 100 || c.width != 64) {
    throw UserError("--arch blog is the blog post's fixed network: --latent-dim 100 and --width 64 (got latent " +
                    std::to_string(c.latent_dim) + ", width " + std::to_string(c.width) + "): drop those flags");
  }
  if (shape_known && (c.resolution != 64 || c.channels != 3)) {
    throw UserError("--arch blog is the blog post's fixed network for 64x64 RGB images, but the images are " +
                    std::to_string(c.resolution) + "x" + std::to_string(c.resolution) + " with " +
                    std::to_string(c.channels) + " channel(s): train it on data prepared at --resolution 64 "
                    "--channels 3, or use --arch dcgan");
  }
}

}  // namespace

Architecture blog_architecture() {
  Architecture row;
  row.name = "blog";
  row.aliases = {"seed"};  // its first name; checkpoints from before the rename say it
  row.summary = "the blog post's exact 64x64 RGB networks and parameter names";
  row.make_generator = [](const ModelConfig&) { return std::make_shared<BlogGenerator>(); };
  row.make_critic = [](const ModelConfig& c) { return std::make_shared<BlogCritic>(c); };
  row.check = check_blog;
  row.takes_classes = false;  // no class input
  row.takes_sync_bn = false;  // plain BatchNorm, as the blog post's
  row.fixed_size = true;
  row.reads_pytorch_state_dict = true;
  return row;
}

}  // namespace wgan
