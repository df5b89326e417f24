#include "wgan/models/architecture.h"

#include <algorithm>

#include "wgan/util/error.h"

namespace wgan {

// Each architecture's row, filled in its own file. A new architecture is its file and a line here.
Architecture dcgan_architecture();
Architecture resnet_architecture();
Architecture blog_architecture();

const std::vector<Architecture>& architectures() {
  static const std::vector<Architecture> rows = {dcgan_architecture(), resnet_architecture(), blog_architecture()};
  return rows;
}

const Architecture* find_architecture(const std::string& name) {
  for (const auto& row : architectures())
    if (row.name == name || std::count(row.aliases.begin(), row.aliases.end(), name) > 0) return &row;
  return nullptr;
}

std::string architecture_names(bool Architecture::*having) {
  std::string names;
  for (const auto& row : architectures())
    if (!having || row.*having) names += (names.empty() ? "" : ", ") + row.name;
  return names;
}

std::string canonical_arch(const std::string& name) {
  const auto* row = find_architecture(name);
  return row ? row->name : name;
}

std::string architecture_help() {
  std::string known;
  for (const auto& row : architectures()) {
    known += (known.empty() ? "" : "; ") + row.name + " (" + row.summary;
    for (const auto& alias : row.aliases) known += "; alias " + alias;
    known += ")";
  }
  return known;
}

const Architecture& architecture_of(const ModelConfig& model) {
  if (const auto* row = find_architecture(model.arch)) return *row;
  throw UserError("--arch '" + model.arch + "' is not an architecture: " + architecture_help());
}

}  // namespace wgan
