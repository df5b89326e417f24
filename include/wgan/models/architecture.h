// The architectures `--arch` names, one registry row each. A row says everything that differs by
// architecture: how to build its networks, its own limits, what it takes (classes, --sync-bn), the
// training defaults it wants and how the ONNX exporter writes its generator; the rest of the
// program asks the row and never compares names. The networks and the row of an architecture live
// in its own file (src/models/dcgan.cpp, resnet.cpp, blog.cpp); src/models/architecture.cpp lists
// the rows.
#pragma once
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "wgan/models/model_config.h"
#include "wgan/models/networks.h"

namespace wgan {

// How the ONNX exporter writes a generator (io/onnx_model.h).
enum class OnnxLayout {
  kTransposedConvStack,  // [class input] (transposed conv, BatchNorm[, class affine], ReLU)*, transposed conv, tanh
  kResidual,             // ResnetGenerator: linear, residual up-blocks, BatchNorm, ReLU, conv, tanh
};

struct Architecture {
  std::string name;                  // the --arch value, as config.json and checkpoints record it
  std::vector<std::string> aliases;  // older names, still accepted ("seed" for blog)
  std::string summary;               // one line for --help and errors
  std::function<std::shared_ptr<GeneratorNet>(const ModelConfig&)> make_generator;
  std::function<std::shared_ptr<CriticNet>(const ModelConfig&)> make_critic;
  // Its own limits (UserError naming the flag). shape_known: resolution and channels are final
  // (they come from the data, so they are checked once it is loaded).
  std::function<void(const ModelConfig&, bool shape_known)> check = [](const ModelConfig&, bool) {};
  bool takes_classes = true;   // --cond
  bool takes_sync_bn = true;   // --sync-bn (its BatchNorm layers can span ranks)
  bool fixed_size = false;     // width and latent size are fixed: no device-dependent width default
  bool grows = false;          // --grow (models/growth.h)
  bool progan_layers = false;  // --generator-norm pixel and --minibatch-stddev
  // On the CPU, a new run on data of this side or more grows from 8 (--grow) unless --grow-from is
  // given (0 = never): measured as quality per minute (docs/performance-cpu.md).
  int64_t cpu_grows_from_side = 0;
  // `wgan sample/export --arch NAME` read the blog post's own torch.save(G.state_dict()) for it.
  bool reads_pytorch_state_dict = false;
  // Training defaults it wants for the options the user did not give: {flag, value as typed on the
  // command line}, parsed through the option table (run/train_config.cpp), listed in --help.
  std::vector<std::pair<std::string, std::string>> training_defaults;
  OnnxLayout onnx_layout = OnnxLayout::kTransposedConvStack;
};

// Every architecture, in the order --help lists them.
const std::vector<Architecture>& architectures();
// The row of NAME or of one of its aliases; null when there is none.
const Architecture* find_architecture(const std::string& name);
// The row of the model's --arch; UserError naming --arch and listing the architectures otherwise.
const Architecture& architecture_of(const ModelConfig& model);
// "dcgan, resnet, blog": the names, for help texts and errors; with `having`, only the rows where
// that flag is true ("dcgan, resnet" for &Architecture::takes_classes).
std::string architecture_names(bool Architecture::*having = nullptr);
// For --arch's help: each row's name, summary and aliases.
std::string architecture_help();
// NAME's row's name when it is an alias ("seed" -> "blog"); any other name unchanged.
std::string canonical_arch(const std::string& name);

}  // namespace wgan
