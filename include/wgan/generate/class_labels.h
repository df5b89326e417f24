// Choosing the classes a conditional generator is asked for: at the training data's frequencies,
// drawn from them, or named by the user.
#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <string>

#include "wgan/models/model_config.h"

namespace wgan {

// `count` classes in the proportions of the model's training data (uniform when it has no counts),
// in class order: class k fills about count * share_k consecutive places. Undefined when the model is
// unconditional. What the metrics generate from a conditional model.
torch::Tensor labels_at_class_frequencies(const ModelConfig& model, int64_t count);

// The cumulative shares of the model's classes in its training data (float64, classes; uniform when
// it has no counts): class k is drawn for u in [cdf[k-1], cdf[k]). Undefined when unconditional.
torch::Tensor class_cdf(const ModelConfig& model);

// A class of a conditional model by name or by index ("Coat", "4"); UserError naming --class and
// listing the classes otherwise.
int64_t parse_class(const ModelConfig& model, const std::string& text);

}  // namespace wgan
