#include "wgan/models/model_config.h"

#include "wgan/util/error.h"

namespace wgan {

std::string canonical_arch(const std::string& arch) { return arch == "seed" ? "blog" : arch; }

void check_image_shape(const ModelConfig& c) {
  const bool power_of_two = c.resolution > 0 && (c.resolution & (c.resolution - 1)) == 0;
  if (!power_of_two || c.resolution < 32 || c.resolution > 256) {
    throw UserError("--resolution " + std::to_string(c.resolution) + " must be a power of two from 32 to 256");
  }
  if (c.channels != 1 && c.channels != 3) {
    throw UserError("--channels " + std::to_string(c.channels) + " must be 1 or 3");
  }
  if (canonical_arch(c.arch) == "blog" && (c.resolution != 64 || c.channels != 3)) {
    throw UserError("--arch blog is the blog post's fixed network for 64x64 RGB images, but the images are " +
                    std::to_string(c.resolution) + "x" + std::to_string(c.resolution) + " with " +
                    std::to_string(c.channels) + " channel(s): train it on data prepared at --resolution 64 "
                    "--channels 3, or use --arch dcgan");
  }
}

void validate(const ModelConfig& c, bool image_shape_known) {
  if (c.latent_dim < 1 || c.latent_dim > 4096) {
    throw UserError("--latent-dim " + std::to_string(c.latent_dim) + " must be in 1..4096");
  }
  if (c.width < 1 || c.width > 1024) throw UserError("--width " + std::to_string(c.width) + " must be in 1..1024");
  if (c.critic_norm != "layer" && c.critic_norm != "instance" && c.critic_norm != "none" && c.critic_norm != "batch") {
    throw UserError("--critic-norm '" + c.critic_norm + "' must be one of layer, instance, none, batch");
  }
  const std::string arch = canonical_arch(c.arch);
  if (arch == "blog") {
    if (c.latent_dim != 100 || c.width != 64) {
      throw UserError("--arch blog is the blog post's fixed network: --latent-dim 100 and --width 64 (got latent " +
                      std::to_string(c.latent_dim) + ", width " + std::to_string(c.width) + "): drop those flags");
    }
  } else if (arch != "dcgan" && arch != "resnet") {
    throw UserError("--arch '" + c.arch + "' must be dcgan, resnet (the WGAN-GP paper's residual networks) or blog "
                    "(the blog post's networks; seed is an alias)");
  }
  if (c.class_head && !c.conditional()) throw UserError("a class head needs a conditional model (--cond)");
  if (c.conditional()) {
    if (arch == "blog")
      throw UserError("--cond works with --arch dcgan and resnet (the blog post's networks have no class input)");
    if (c.classes() < 2) throw UserError("--cond needs at least two classes; the data has " + std::to_string(c.classes()));
    if (!c.class_counts.empty() && c.class_counts.size() != c.class_names.size())
      throw UserError("the model's class counts do not match its " + std::to_string(c.classes()) + " classes");
  }
  if (image_shape_known) check_image_shape(c);
}

}  // namespace wgan
