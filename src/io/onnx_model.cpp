#include "wgan/io/onnx_model.h"

#include "wgan/dist/sync_batch_norm.h"
#include "wgan/models/architecture.h"
#include "wgan/models/layers.h"
#include "wgan/models/resnet.h"
#include "wgan/models/upsample_conv.h"
#include "wgan/util/error.h"

#include <map>

#if WGAN_HAVE_ONNX
#include <onnx/onnx_pb.h>
#endif

namespace wgan {

namespace {

// One ConvTranspose of the graph, with the BatchNorm after it (if any) already folded in.
struct Stage {
  torch::Tensor weight;  // [Cin, Cout, 4, 4] float64
  torch::Tensor bias;    // [Cout] float64
  bool from_1x1 = false;
  bool has_norm = false;    // a BatchNorm (folded in) or a PixelNorm follows it
  bool pixel_norm = false;  // --generator-norm pixel: x / sqrt(mean over channels of x^2 + 1e-8)
  ClassAffineImpl* class_affine = nullptr;  // a conditional generator's class part after the norm
};

// BatchNorm in eval mode, y = (x - mean) / sqrt(var + eps) * gamma + beta, moved into the
// convolution before it: every output channel's weights scaled by gamma / sqrt(var + eps).
void fold_norm(Stage& stage, const torch::Tensor& gamma, const torch::Tensor& beta, const torch::Tensor& mean,
               const torch::Tensor& var, double eps) {
  auto scale = gamma.to(torch::kFloat64) / (var.to(torch::kFloat64) + eps).sqrt();
  stage.weight = stage.weight * scale.view({1, -1, 1, 1});
  stage.bias = (stage.bias - mean.to(torch::kFloat64)) * scale + beta.to(torch::kFloat64);
  stage.has_norm = true;
}

// The generator's stages in forward order: ConvTranspose (+ BatchNorm) ... ConvTranspose. Module
// registration order is forward order in both of wgan's generators.
std::vector<Stage> generator_stages(GeneratorNet& net) {
  torch::NoGradGuard no_grad;
  std::vector<Stage> stages;
  std::map<std::string, ClassAffineImpl*> class_affines;  // dcgan: class_normK follows stage K's BatchNorm
  auto attach_norm = [&](const std::string& name, auto&&... fold_args) {
    if (stages.empty() || stages.back().has_norm)
      throw UserError("ONNX export: BatchNorm " + name + " does not follow a transposed convolution");
    fold_norm(stages.back(), fold_args...);
  };
  for (const auto& item : net.named_modules("", /*include_self=*/false)) {
    auto* module = item.value().get();
    if (auto* conv = dynamic_cast<UpsampleConvImpl*>(module)) {
      Stage stage;
      stage.weight = conv->weight.detach().cpu().to(torch::kFloat64);
      stage.bias = conv->bias.defined() ? conv->bias.detach().cpu().to(torch::kFloat64)
                                        : torch::zeros({conv->weight.size(1)}, torch::kFloat64);
      stage.from_1x1 = conv->from_1x1();
      stages.push_back(stage);
    } else if (auto* bn = dynamic_cast<torch::nn::BatchNorm2dImpl*>(module)) {
      attach_norm(item.key(), bn->weight.cpu(), bn->bias.cpu(), bn->running_mean.cpu(), bn->running_var.cpu(),
                  bn->options.eps());
    } else if (auto* sync_bn = dynamic_cast<SyncBatchNorm2dImpl*>(module)) {
      attach_norm(item.key(), sync_bn->weight.cpu(), sync_bn->bias.cpu(), sync_bn->running_mean.cpu(),
                  sync_bn->running_var.cpu(), sync_bn->eps());
    } else if (dynamic_cast<PixelNormImpl*>(module)) {
      if (stages.empty() || stages.back().has_norm)
        throw UserError("ONNX export: PixelNorm " + item.key() + " does not follow a transposed convolution");
      stages.back().has_norm = stages.back().pixel_norm = true;
    } else if (auto* affine = dynamic_cast<ClassAffineImpl*>(module)) {
      class_affines[item.key()] = affine;
    } else if (dynamic_cast<ClassInputImpl*>(module)) {
      // concatenated to z before the first stage: add_generator_input
    } else if (!dynamic_cast<torch::nn::ReLUImpl*>(module) && !dynamic_cast<torch::nn::TanhImpl*>(module) &&
               !dynamic_cast<torch::nn::SequentialImpl*>(module)) {
      throw UserError("ONNX export: the generator's layer " + item.key() + " (" + module->name() +
                      ") is not one the exporter knows (transposed convolutions with BatchNorm or PixelNorm)");
    }
  }
  if (stages.size() < 2 || !stages.front().from_1x1 || stages.back().has_norm)
    throw UserError("ONNX export: the generator is not a stack of transposed convolutions from a 1x1 latent");
  for (size_t i = 0; i + 1 < stages.size(); ++i)
    if (!stages[i].has_norm || (i > 0 && stages[i].from_1x1))
      throw UserError("ONNX export: stage " + std::to_string(i + 1) + " of the generator has no BatchNorm");
  for (size_t i = 0; i < stages.size(); ++i) {
    auto it = class_affines.find("class_norm" + std::to_string(i + 1));
    if (it == class_affines.end()) continue;
    stages[i].class_affine = it->second;
    class_affines.erase(it);
  }
  if (!class_affines.empty())
    throw UserError("ONNX export: the class layer " + class_affines.begin()->first + " follows no BatchNorm stage");
  return stages;
}

ClassInputImpl* find_class_input(GeneratorNet& net) {
  for (const auto& item : net.named_modules("", /*include_self=*/false))
    if (auto* input = dynamic_cast<ClassInputImpl*>(item.value().get())) return input;
  return nullptr;
}

bool has_class_input(GeneratorNet& net) {
  for (const auto& item : net.named_modules("", /*include_self=*/false))
    if (dynamic_cast<ClassAffineImpl*>(item.value().get()) || dynamic_cast<ClassInputImpl*>(item.value().get()))
      return true;
  return false;
}

#if WGAN_HAVE_ONNX
void add_tensor_type(onnx::ValueInfoProto* value, const std::string& name, const std::vector<int64_t>& dims,
                     onnx::TensorProto::DataType type = onnx::TensorProto::FLOAT) {
  value->set_name(name);
  auto* tensor = value->mutable_type()->mutable_tensor_type();
  tensor->set_elem_type(type);
  auto* shape = tensor->mutable_shape();
  shape->add_dim()->set_dim_param("N");  // any batch size
  for (auto d : dims) shape->add_dim()->set_dim_value(d);
}

void add_initializer(onnx::GraphProto* graph, const std::string& name, const torch::Tensor& values,
                     onnx::TensorProto::DataType type) {
  auto* init = graph->add_initializer();
  init->set_name(name);
  init->set_data_type(type);
  for (auto d : values.sizes()) init->add_dims(d);
  const auto contiguous = values.contiguous();
  init->set_raw_data(contiguous.data_ptr(), contiguous.numel() * contiguous.element_size());  // little-endian
}

void add_ints(onnx::NodeProto* node, const std::string& name, const std::vector<int64_t>& values) {
  auto* attr = node->add_attribute();
  attr->set_name(name);
  attr->set_type(onnx::AttributeProto::INTS);
  for (auto v : values) attr->add_ints(v);
}

void add_float(onnx::NodeProto* node, const std::string& name, float value) {
  auto* attr = node->add_attribute();
  attr->set_name(name);
  attr->set_type(onnx::AttributeProto::FLOAT);
  attr->set_f(value);
}

void add_string(onnx::NodeProto* node, const std::string& name, const std::string& value) {
  auto* attr = node->add_attribute();
  attr->set_name(name);
  attr->set_type(onnx::AttributeProto::STRING);
  attr->set_s(value);
}

void add_int(onnx::NodeProto* node, const std::string& name, int64_t value) {
  auto* attr = node->add_attribute();
  attr->set_name(name);
  attr->set_type(onnx::AttributeProto::INT);
  attr->set_i(value);
}

onnx::NodeProto* add_node(onnx::GraphProto* graph, const std::string& op, const std::vector<std::string>& inputs,
                          const std::string& output) {
  auto* node = graph->add_node();
  node->set_op_type(op);
  node->set_name(output);
  for (const auto& in : inputs) node->add_input(in);
  node->add_output(output);
  return node;
}

// A conditional generator's class part after a BatchNorm: x * (1 + gain)[class] + bias[class], the
// two rows gathered by the "class" input and shaped [N, C, 1, 1].
std::string add_class_affine(onnx::GraphProto* graph, const std::string& x, ClassAffineImpl& affine,
                             const std::string& name) {
  torch::NoGradGuard no_grad;
  const int64_t channels = affine.gain.size(1);
  const std::string shape = name + ".per_image_shape";
  add_initializer(graph, shape, torch::tensor({int64_t{-1}, channels, int64_t{1}, int64_t{1}}),
                  onnx::TensorProto::INT64);
  add_initializer(graph, name + ".scale", (1 + affine.gain.detach().cpu()).to(torch::kFloat32), onnx::TensorProto::FLOAT);
  add_initializer(graph, name + ".bias", affine.bias.detach().cpu().to(torch::kFloat32), onnx::TensorProto::FLOAT);
  for (const char* part : {".scale", ".bias"}) {
    add_int(add_node(graph, "Gather", {name + part, "class"}, name + part + ".rows"), "axis", 0);
    add_node(graph, "Reshape", {name + part + ".rows", shape}, name + part + ".per_image");
  }
  add_node(graph, "Mul", {x, name + ".scale.per_image"}, name + ".scaled");
  add_node(graph, "Add", {name + ".scaled", name + ".bias.per_image"}, name);
  return name;
}

// PixelNorm: x / sqrt(mean over the channels of x^2 + 1e-8), as models/layers.h computes it.
std::string add_pixel_norm(onnx::GraphProto* graph, const std::string& x, const std::string& name) {
  add_node(graph, "Mul", {x, x}, name + ".square");
  auto* mean = add_node(graph, "ReduceMean", {name + ".square"}, name + ".mean_square");
  add_ints(mean, "axes", {1});
  add_int(mean, "keepdims", 1);
  add_initializer(graph, name + ".eps", torch::tensor(1e-8f), onnx::TensorProto::FLOAT);
  add_node(graph, "Add", {name + ".mean_square", name + ".eps"}, name + ".mean_square_eps");
  add_node(graph, "Sqrt", {name + ".mean_square_eps"}, name + ".rms");
  add_node(graph, "Div", {x, name + ".rms"}, name);
  return name;
}

// What the first layer reads: `z` (reshaped by `shape`, when given), and for a conditional generator its
// class vector, Gather(class_input.weight, class), concatenated after it on axis 1.
std::string add_generator_input(onnx::GraphProto* graph, GeneratorNet& net, const std::string& z,
                                const std::vector<int64_t>& class_shape) {
  auto* class_input = find_class_input(net);
  if (!class_input) return z;
  torch::NoGradGuard no_grad;
  add_initializer(graph, "class_input.weight", class_input->weight.detach().cpu().to(torch::kFloat32),
                  onnx::TensorProto::FLOAT);
  add_int(add_node(graph, "Gather", {"class_input.weight", "class"}, "class_input"), "axis", 0);
  std::string vector = "class_input";
  if (!class_shape.empty()) {
    add_initializer(graph, "class_input_shape", torch::tensor(class_shape), onnx::TensorProto::INT64);
    vector = add_node(graph, "Reshape", {"class_input", "class_input_shape"}, "class_input_4d")->output(0);
  }
  add_int(add_node(graph, "Concat", {z, vector}, "generator_input"), "axis", 1);
  return "generator_input";
}

// The dcgan and blog generators: ConvTranspose (BatchNorm folded) + Relu per stage, Tanh last.
// Returns the output's side; `channels` gets the output's channels.
int64_t add_transposed_conv_stack(onnx::GraphProto* graph, GeneratorNet& net, int64_t latent_dim, int64_t& channels) {
  const auto stages = generator_stages(net);
  channels = stages.back().weight.size(1);
  add_initializer(graph, "latent_shape", torch::tensor({int64_t{-1}, latent_dim, int64_t{1}, int64_t{1}}),
                  onnx::TensorProto::INT64);
  add_node(graph, "Reshape", {"z", "latent_shape"}, "z_4d");
  std::string x = add_generator_input(graph, net, "z_4d", {-1, ClassInputImpl::kDim, 1, 1});
  int64_t side = 1;
  for (size_t i = 0; i < stages.size(); ++i) {
    const auto& stage = stages[i];
    const std::string id = "stage" + std::to_string(i + 1);
    add_initializer(graph, id + ".weight", stage.weight.to(torch::kFloat32), onnx::TensorProto::FLOAT);
    add_initializer(graph, id + ".bias", stage.bias.to(torch::kFloat32), onnx::TensorProto::FLOAT);
    auto* conv = add_node(graph, "ConvTranspose", {x, id + ".weight", id + ".bias"}, id + ".convt");
    add_ints(conv, "kernel_shape", {stage.weight.size(2), stage.weight.size(3)});
    add_ints(conv, "strides", stage.from_1x1 ? std::vector<int64_t>{1, 1} : std::vector<int64_t>{2, 2});
    add_ints(conv, "pads", stage.from_1x1 ? std::vector<int64_t>{0, 0, 0, 0} : std::vector<int64_t>{1, 1, 1, 1});
    side = stage.from_1x1 ? stage.weight.size(2) : side * 2;
    const bool last = i + 1 == stages.size();
    std::string before_activation = id + ".convt";
    if (stage.pixel_norm) before_activation = add_pixel_norm(graph, before_activation, id + ".pixel_norm");
    if (stage.class_affine)
      before_activation = add_class_affine(graph, before_activation, *stage.class_affine, "class_norm" + std::to_string(i + 1));
    x = last ? "images" : id;
    add_node(graph, last ? "Tanh" : "Relu", {before_activation}, x);
  }
  return side;
}

// The resnet generator's layers, named as its parameters (blocks.K.conv1 ...).
class ResnetEmitter {
 public:
  explicit ResnetEmitter(onnx::GraphProto* graph) : graph_(graph) {
    add_initializer(graph_, "upsample_scales", torch::tensor({1.0f, 1.0f, 2.0f, 2.0f}), onnx::TensorProto::FLOAT);
  }

  std::string batch_norm(const std::string& x, SyncBatchNorm2dImpl& bn, const std::string& name) {
    torch::NoGradGuard no_grad;
    const std::vector<std::pair<std::string, torch::Tensor>> inputs = {{".weight", bn.weight},
                                                                       {".bias", bn.bias},
                                                                       {".running_mean", bn.running_mean},
                                                                       {".running_var", bn.running_var}};
    std::vector<std::string> names = {x};
    for (const auto& [suffix, tensor] : inputs) {
      add_initializer(graph_, name + suffix, tensor.detach().cpu().to(torch::kFloat32), onnx::TensorProto::FLOAT);
      names.push_back(name + suffix);
    }
    add_float(add_node(graph_, "BatchNormalization", names, name), "epsilon", static_cast<float>(bn.eps()));
    return name;
  }

  std::string conv(const std::string& x, torch::nn::Conv2dImpl& conv, const std::string& name) {
    torch::NoGradGuard no_grad;
    add_initializer(graph_, name + ".weight", conv.weight.detach().cpu().to(torch::kFloat32), onnx::TensorProto::FLOAT);
    add_initializer(graph_, name + ".bias", conv.bias.detach().cpu().to(torch::kFloat32), onnx::TensorProto::FLOAT);
    auto* node = add_node(graph_, "Conv", {x, name + ".weight", name + ".bias"}, name);
    const int64_t k = conv.weight.size(2), pad = k / 2;
    add_ints(node, "kernel_shape", {k, k});
    add_ints(node, "pads", {pad, pad, pad, pad});
    return name;
  }

  std::string relu(const std::string& x) { return unary("Relu", x); }

  // BatchNorm, then the class part of a conditional generator.
  std::string normalise(const std::string& x, SyncBatchNorm2dImpl& bn, ClassAffine& affine, const std::string& name,
                        const std::string& class_name) {
    const auto y = batch_norm(x, bn, name);
    return affine ? add_class_affine(graph_, y, *affine, class_name) : y;
  }

  // Nearest 2x: output pixel i reads input floor(i / 2), as upsample_nearest_2x.
  std::string upsample(const std::string& x) {
    auto* node = add_node(graph_, "Resize", {x, "", "upsample_scales"}, x + ".up");
    add_string(node, "mode", "nearest");
    add_string(node, "coordinate_transformation_mode", "asymmetric");
    add_string(node, "nearest_mode", "floor");
    return x + ".up";
  }

  std::string add(const std::string& a, const std::string& b, const std::string& name) {
    add_node(graph_, "Add", {a, b}, name);
    return name;
  }

  // Returns the output's side.
  int64_t emit(ResnetGenerator& net) {
    torch::NoGradGuard no_grad;
    add_initializer(graph_, "input.weight", net.input->weight.detach().cpu().to(torch::kFloat32),
                    onnx::TensorProto::FLOAT);
    add_initializer(graph_, "input.bias", net.input->bias.detach().cpu().to(torch::kFloat32), onnx::TensorProto::FLOAT);
    const auto z = add_generator_input(graph_, net, "z", {});
    add_int(add_node(graph_, "Gemm", {z, "input.weight", "input.bias"}, "input"), "transB", 1);
    add_initializer(graph_, "seed_shape", torch::tensor({int64_t{-1}, net.width, int64_t{4}, int64_t{4}}),
                    onnx::TensorProto::INT64);
    std::string x = add_node(graph_, "Reshape", {"input", "seed_shape"}, "seed")->output(0);
    int64_t side = 4;
    for (size_t k = 0; k < net.blocks->size(); ++k) {
      auto& block = *net.blocks[k]->as<ResidualUpBlockImpl>();
      const std::string id = "blocks." + std::to_string(k);
      auto h = conv(upsample(relu(normalise(x, *block.norm1, block.class_norm1, id + ".norm1", id + ".class_norm1"))),
                    *block.conv1, id + ".conv1");
      h = conv(relu(normalise(h, *block.norm2, block.class_norm2, id + ".norm2", id + ".class_norm2")), *block.conv2,
               id + ".conv2");
      x = add(conv(upsample(x), *block.shortcut, id + ".shortcut"), h, id);
      side *= 2;
    }
    x = conv(relu(normalise(x, *net.output_norm, net.output_class_norm, "output_norm", "output_class_norm")),
             *net.output_conv, "output_conv");
    add_node(graph_, "Tanh", {x}, "images");
    return side;
  }

 private:
  std::string unary(const std::string& op, const std::string& x) {
    add_node(graph_, op, {x}, x + "." + op);
    return x + "." + op;
  }
  onnx::GraphProto* graph_;
};
#endif

}  // namespace

bool onnx_export_available() { return WGAN_HAVE_ONNX != 0; }

std::string generator_to_onnx(GeneratorNet& net, const ModelConfig& config,
                              const std::vector<std::pair<std::string, std::string>>& metadata) {
#if !WGAN_HAVE_ONNX
  (void)net;
  (void)config;
  (void)metadata;
  throw UserError("this wgan was built without ONNX support: install libonnx-dev and rebuild (make build)");
#else
  onnx::ModelProto model;
  model.set_ir_version(8);  // ONNX 1.10+; onnxruntime reads it
  model.set_producer_name("wgan");
  auto* opset = model.add_opset_import();
  opset->set_domain("");
  opset->set_version(kOnnxOpset);
  for (const auto& [key, value] : metadata) {
    auto* prop = model.add_metadata_props();
    prop->set_key(key);
    prop->set_value(value);
  }
  auto* graph = model.mutable_graph();
  graph->set_name("wgan_generator");
  const int64_t latent_dim = config.latent_dim;
  add_tensor_type(graph->add_input(), "z", {latent_dim});
  if (has_class_input(net)) add_tensor_type(graph->add_input(), "class", {}, onnx::TensorProto::INT64);
  int64_t side = 0, channels = 0;
  if (architecture_of(config).onnx_layout == OnnxLayout::kResidual) {
    auto& resnet = static_cast<ResnetGenerator&>(net);  // make_generator(config) built it
    side = ResnetEmitter(graph).emit(resnet);
    channels = resnet.output_conv->weight.size(0);
  } else {
    side = add_transposed_conv_stack(graph, net, latent_dim, channels);
  }
  add_tensor_type(graph->add_output(), "images", {channels, side, side});
  std::string bytes;
  if (!model.SerializeToString(&bytes)) throw UserError("ONNX export: the model could not be serialised");
  return bytes;
#endif
}

}  // namespace wgan
