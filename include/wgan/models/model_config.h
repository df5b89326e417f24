// The shape of the generator and critic: everything needed to rebuild them from a checkpoint.
#pragma once
#include <string>

namespace wgan {

struct ModelConfig {
  std::string arch = "dcgan";         // dcgan (any resolution) or seed (the blog post's exact 64x64 networks)
  int64_t resolution = 32;            // image side, a power of two in 32..256
  int64_t channels = 1;               // 1 (gray) or 3 (RGB)
  int64_t latent_dim = 100;           // size of z, 100 as the seed
  int64_t width = 64;                 // channels of the highest-resolution layer; doubles per level, capped at 8x
  std::string critic_norm = "layer";  // layer (WGAN-GP paper), instance, none, or batch (the seed's)
};

// Throws UserError naming the flag when a field is out of range. Before the data is loaded the image
// shape is not known yet (it comes from the data): image_shape_known = false skips those checks.
void validate(const ModelConfig& config, bool image_shape_known = true);

}  // namespace wgan
