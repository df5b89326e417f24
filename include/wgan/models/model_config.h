// The shape of the generator and critic: everything needed to rebuild them from a checkpoint.
// The fields, their defaults and flags are listed once, in model_options.def.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "wgan/util/named_enum.h"
#include "wgan/util/option_table.h"

namespace wgan {

// --critic-norm: the critic's normalisation layers.
enum class CriticNorm { kLayer, kInstance, kNone, kBatch };
template <>
struct EnumNames<CriticNorm> {
  static constexpr NamedValue<CriticNorm> values[] = {{CriticNorm::kLayer, "layer"},
                                                      {CriticNorm::kInstance, "instance"},
                                                      {CriticNorm::kNone, "none"},
                                                      {CriticNorm::kBatch, "batch"}};
};

// --generator-norm: the generator's normalisation layers.
enum class GeneratorNorm { kBatch, kPixel };
template <>
struct EnumNames<GeneratorNorm> {
  static constexpr NamedValue<GeneratorNorm> values[] = {{GeneratorNorm::kBatch, "batch"},
                                                         {GeneratorNorm::kPixel, "pixel"}};
};

struct ModelConfig {
#define WGAN_OPTION(field, type, default_value, rule, flag, range, help) type field = default_value;
#include "wgan/models/model_options.def"
#undef WGAN_OPTION
  // Class-conditional networks (wgan train --cond): the classes in label order and the training
  // images of each (generated labels follow those frequencies). Both come from the data, not a
  // flag; empty means unconditional.
  std::vector<std::string> class_names;
  std::vector<int64_t> class_counts;
  // A conditional critic's auxiliary classifier (AC-GAN, Odena et al. 2017, as in the WGAN-GP paper's
  // conditional CIFAR-10 model): a linear head from the critic's features to the class logits,
  // trained on real images (wgan train --class-loss). From the run's flags, not the data; false in
  // checkpoints from before it existed.
  bool class_head = false;
  int64_t classes() const { return static_cast<int64_t>(class_names.size()); }
  bool conditional() const { return !class_names.empty(); }
};

// The model options the user gave (each unset when not given): see TrainOverrides.
struct ModelOverrides {
#define WGAN_OPTION(field, type, default_value, rule, flag, range, help) Given<type> field;
#include "wgan/models/model_options.def"
#undef WGAN_OPTION
};

// Throws UserError naming the flag when a field is out of range or the architecture (architecture.h)
// refuses it. Before the data is loaded the image
// shape is not known yet (it comes from the data): image_shape_known = false skips those checks,
// which check_image_shape then makes once the data is there.
void validate(const ModelConfig& config, bool image_shape_known = true);
void check_image_shape(const ModelConfig& config);

}  // namespace wgan
