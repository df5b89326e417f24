#include "wgan/models/model_config.h"

#include "wgan/util/error.h"

namespace wgan {

void validate(const ModelConfig& c, bool image_shape_known) {
  const bool power_of_two = c.resolution > 0 && (c.resolution & (c.resolution - 1)) == 0;
  if (image_shape_known && (!power_of_two || c.resolution < 32 || c.resolution > 256)) {
    throw UserError("--resolution " + std::to_string(c.resolution) + " must be a power of two from 32 to 256");
  }
  if (image_shape_known && c.channels != 1 && c.channels != 3) {
    throw UserError("--channels " + std::to_string(c.channels) + " must be 1 or 3");
  }
  if (c.latent_dim < 1 || c.latent_dim > 4096) {
    throw UserError("--latent-dim " + std::to_string(c.latent_dim) + " must be in 1..4096");
  }
  if (c.width < 1 || c.width > 1024) throw UserError("--width " + std::to_string(c.width) + " must be in 1..1024");
  if (c.critic_norm != "layer" && c.critic_norm != "instance" && c.critic_norm != "none" && c.critic_norm != "batch") {
    throw UserError("--critic-norm '" + c.critic_norm + "' must be one of layer, instance, none, batch");
  }
  if (c.arch == "seed") {
    if (c.latent_dim != 100 || c.width != 64) {
      throw UserError("--arch seed is the blog post's fixed network: --latent-dim 100 and --width 64 (got latent " +
                      std::to_string(c.latent_dim) + ", width " + std::to_string(c.width) + "): drop those flags");
    }
    if (image_shape_known && (c.resolution != 64 || c.channels != 3)) {
      throw UserError("--arch seed is the blog post's fixed network for 64x64 RGB images, but the images are " +
                      std::to_string(c.resolution) + "x" + std::to_string(c.resolution) + " with " +
                      std::to_string(c.channels) + " channel(s): train it on data prepared at --resolution 64 "
                      "--channels 3, or use --arch dcgan");
    }
  } else if (c.arch != "dcgan") {
    throw UserError("--arch '" + c.arch + "' must be dcgan or seed");
  }
}

}  // namespace wgan
