#include "wgan/generate/class_labels.h"

#include "wgan/util/error.h"

namespace wgan {

torch::Tensor class_cdf(const ModelConfig& model) {
  if (!model.conditional()) return {};
  auto counts = torch::tensor(model.class_counts, torch::kFloat64);
  if (counts.numel() != model.classes() || !(counts.sum().item<double>() > 0))
    counts = torch::ones({model.classes()}, torch::kFloat64);  // no counts recorded: uniform
  return counts.cumsum(0) / counts.sum();
}

torch::Tensor labels_at_class_frequencies(const ModelConfig& model, int64_t count) {
  if (!model.conditional()) return {};
  const auto cdf = class_cdf(model);
  // Evenly spaced points of [0, 1): no randomness, so every evaluation asks for the same classes.
  const auto points = (torch::arange(count, torch::kFloat64) + 0.5) / static_cast<double>(count);
  return torch::searchsorted(cdf, points, /*out_int32=*/false, /*right=*/true).clamp_max_(model.classes() - 1);
}

int64_t parse_class(const ModelConfig& model, const std::string& text) {
  if (!model.conditional()) throw UserError("--class: this model is unconditional (trained without --cond)");
  for (int64_t i = 0; i < model.classes(); ++i)
    if (model.class_names[static_cast<size_t>(i)] == text) return i;
  if (!text.empty() && text.find_first_not_of("0123456789") == std::string::npos && text.size() < 10) {
    const int64_t index = std::stoll(text);
    if (index < model.classes()) return index;
  }
  std::string known;
  for (int64_t i = 0; i < model.classes(); ++i)
    known += (i ? ", " : "") + std::to_string(i) + " " + model.class_names[static_cast<size_t>(i)];
  throw UserError("--class '" + text + "' is not a class of this model (" + known + ")");
}

}  // namespace wgan
