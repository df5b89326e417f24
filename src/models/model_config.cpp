#include "wgan/models/model_config.h"

#include "wgan/models/architecture.h"
#include "wgan/util/error.h"

namespace wgan {

void check_image_shape(const ModelConfig& c) {
  const bool power_of_two = c.resolution > 0 && (c.resolution & (c.resolution - 1)) == 0;
  if (!power_of_two || c.resolution < 32 || c.resolution > 256) {
    throw UserError("--resolution " + std::to_string(c.resolution) + " must be a power of two from 32 to 256");
  }
  if (c.channels != 1 && c.channels != 3) {
    throw UserError("--channels " + std::to_string(c.channels) + " must be 1 or 3");
  }
  architecture_of(c).check(c, /*shape_known=*/true);
}

void validate(const ModelConfig& c, bool image_shape_known) {
  if (c.latent_dim < 1 || c.latent_dim > 4096) {
    throw UserError("--latent-dim " + std::to_string(c.latent_dim) + " must be in 1..4096");
  }
  if (c.width < 1 || c.width > 1024) throw UserError("--width " + std::to_string(c.width) + " must be in 1..1024");
  const Architecture& arch = architecture_of(c);  // a UserError listing them for an unknown --arch
  arch.check(c, /*shape_known=*/false);
  if (c.grow_from > 0) {
    if (!arch.grows)
      throw UserError("--grow works with --arch " + architecture_names(&Architecture::grows) + ", not " + arch.name);
    if (c.grow_from < 8 || (c.grow_from & (c.grow_from - 1)) != 0)
      throw UserError("--grow-from " + std::to_string(c.grow_from) + " must be a power of two from 8");
  }
  if (!arch.progan_layers) {
    if (c.generator_norm != GeneratorNorm::kBatch)
      throw UserError(std::string("--generator-norm ") + name_of(c.generator_norm) + " works with --arch " +
                      architecture_names(&Architecture::progan_layers) + ", not " + arch.name);
    if (c.minibatch_stddev)
      throw UserError("--minibatch-stddev works with --arch " + architecture_names(&Architecture::progan_layers) +
                      ", not " + arch.name);
  }
  if (c.class_head && !c.conditional()) throw UserError("a class head needs a conditional model (--cond)");
  if (c.conditional()) {
    if (!arch.takes_classes)
      throw UserError("--cond works with --arch " + architecture_names(&Architecture::takes_classes) + " (" +
                      arch.name + " has no class input)");
    if (c.classes() < 2) throw UserError("--cond needs at least two classes; the data has " + std::to_string(c.classes()));
    if (!c.class_counts.empty() && c.class_counts.size() != c.class_names.size())
      throw UserError("the model's class counts do not match its " + std::to_string(c.classes()) + " classes");
  }
  if (image_shape_known) {
    check_image_shape(c);
    if (c.grow_from >= c.resolution)
      throw UserError("--grow-from " + std::to_string(c.grow_from) + " must be below the data's resolution (" +
                      std::to_string(c.resolution) + ")");
  }
}

}  // namespace wgan
