#include "wgan/run/train_config.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <functional>
#include <sstream>

#include "wgan/data/device_batches.h"
#include "wgan/losses/losses.h"
#include "wgan/models/architecture.h"
#include "wgan/augment/augment.h"
#include "wgan/models/precision.h"
#include "wgan/util/error.h"

namespace wgan {

namespace {

// A given option replaces the value (for optional fields too: their override has the same type).
template <typename T, typename G>
void apply(T& target, const G& given) {
  if (given) target = *given;
}

template <typename T>
nlohmann::json json_value(const T& value) {
  return value;
}
template <typename T>
nlohmann::json json_value(const std::optional<T>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

// One value of a config read back. An integer field holding a float outside its range would be
// undefined behaviour in the conversion (fuzzing found 1e35): refused, naming the key.
template <typename T>
T json_value(const nlohmann::json& value, const char* key) {
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
    if (value.is_number_float()) {
      const double v = value.get<double>();
      if (!(v >= static_cast<double>(std::numeric_limits<T>::min()) &&
            v < static_cast<double>(std::numeric_limits<T>::max())) || v != std::floor(v))
        throw UserError(std::string("config key ") + key + " holds " + value.dump() + ", not an integer in range");
      return static_cast<T>(v);
    }
  }
  return value.get<T>();
}
template <typename T>
void read_json(const nlohmann::json& j, const char* key, T& out) {
  if (j.contains(key)) out = json_value<T>(j.at(key), key);
}
template <typename T>
void read_json(const nlohmann::json& j, const char* key, std::optional<T>& out) {
  if (j.contains(key) && !j.at(key).is_null()) out = json_value<T>(j.at(key), key);
}

// The range column's check of one value (an optional one only when set).
template <typename T>
void check_range(const T& value, OptionRange range, const char* flag) {
  if constexpr (std::is_arithmetic_v<T> && !std::is_same_v<T, bool>) {
    const double v = static_cast<double>(value);
    const bool ok = range == OptionRange::kPositive      ? v > 0 && std::isfinite(v)
                    : range == OptionRange::kNonNegative ? v >= 0 && std::isfinite(v)
                    : range == OptionRange::kUnit        ? v >= 0 && v <= 1
                                                         : true;
    if (ok) return;
    std::ostringstream shown;
    shown << value;
    const char* wanted = range == OptionRange::kPositive      ? "must be positive"
                         : range == OptionRange::kNonNegative ? "must be >= 0"
                                                              : "must be in [0, 1]";
    throw UserError(std::string(flag) + " " + shown.str() + " " + wanted);
  } else if constexpr (std::is_same_v<T, std::string>) {
    if (range == OptionRange::kNonEmpty && value.empty()) throw UserError(std::string(flag) + " must not be empty");
  }
}
template <typename T>
void check_range(const std::optional<T>& value, OptionRange range, const char* flag) {
  if (value) check_range(*value, range, flag);
}

// How --help states a table default: as it would be typed; nothing for an unset optional, a flag
// that is off or an empty string.
template <typename T>
std::string shown_default(const T& value) {
  if constexpr (std::is_same_v<T, bool>) {
    return value ? "on" : "";
  } else {
    std::ostringstream out;
    out << value;
    return out.str();
  }
}
template <typename T>
std::string shown_default(const std::optional<T>&) {
  return "";
}

std::string number(double value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

// Sets the option FLAG of `c` from its text, when the user did not give it; false for a flag
// that is not in the tables.
bool set_unless_given(TrainConfig& c, const TrainOverrides& given, const std::string& flag, const std::string& text) {
#define WGAN_OPTION(field, type, default_value, rule, option_flag, range, help)                  \
  if (flag == option_flag) {                                                                    \
    if (!given.model.field) c.model.field = OptionText<type>::parse(text, option_flag);         \
    return true;                                                                                \
  }
#include "wgan/models/model_options.def"
#undef WGAN_OPTION
#define WGAN_OPTION(field, type, default_value, rule, option_flag, range, help) \
  if (flag == option_flag) {                                                   \
    if (!given.field) c.field = OptionText<type>::parse(text, option_flag);    \
    return true;                                                               \
  }
#include "wgan/run/train_options.def"
#undef WGAN_OPTION
  return false;
}

void apply_all(TrainConfig& c, const TrainOverrides& given) {
#define WGAN_OPTION(field, type, default_value, rule, flag, range, help) apply(c.model.field, given.model.field);
#include "wgan/models/model_options.def"
#undef WGAN_OPTION
#define WGAN_OPTION(field, type, default_value, rule, flag, range, help) apply(c.field, given.field);
#include "wgan/run/train_options.def"
#undef WGAN_OPTION
  c.model.arch = canonical_arch(c.model.arch);
}

}  // namespace

std::vector<std::string> resumable_flags() {
  std::vector<std::string> flags;
#define WGAN_OPTION(field, type, default_value, rule, flag, range, help) \
  if (ResumeRule::rule != ResumeRule::kFixed) flags.push_back(flag);
#include "wgan/run/train_options.def"
#undef WGAN_OPTION
  return flags;
}

std::vector<std::string> train_option_flags() {
  std::vector<std::string> flags;
#define WGAN_OPTION(field, type, default_value, rule, flag, range, help) flags.push_back(flag);
#include "wgan/models/model_options.def"
#include "wgan/run/train_options.def"
#undef WGAN_OPTION
  return flags;
}

void apply_arch_defaults(TrainConfig& c, const TrainOverrides& given) {
  const Architecture* arch = find_architecture(c.model.arch);
  if (!arch) return;  // check_options names an unknown --arch
  for (const auto& [flag, text] : arch->training_defaults)
    if (!set_unless_given(c, given, flag, text))
      throw std::logic_error("--arch " + arch->name + "'s training default names " + flag + ", not an option");
}

std::string default_help(const std::string& flag) {
  const TrainConfig d;
  std::string text;
  // The table's own default.
#define WGAN_OPTION(field, type, default_value, rule, option_flag, range, help) \
  if (flag == option_flag) text = shown_default(d.model.field);
#include "wgan/models/model_options.def"
#undef WGAN_OPTION
#define WGAN_OPTION(field, type, default_value, rule, option_flag, range, help) \
  if (flag == option_flag && text.empty()) text = shown_default(d.field);
#include "wgan/run/train_options.def"
#undef WGAN_OPTION
  auto add = [&text](const std::string& part) { text += (text.empty() ? "" : "; ") + part; };
  if (flag == "--resolution" || flag == "--channels") text.clear();  // from the data (the help says so)
  if (flag == "--steps") add(std::to_string(kDefaultSteps) + " when no length is given");
  // The loss table's, for the options left unset until resolve().
  const std::pair<const char*, std::function<std::string(const Loss&)>> per_loss[] = {
      {"--n-critic", [](const Loss& l) { return std::to_string(l.n_critic); }},
      {"--lr", [](const Loss& l) { return number(l.lr); }},
      {"--beta1", [](const Loss& l) { return l.optimizer == OptimizerKind::kAdam ? number(l.beta1) : std::string(); }},
      {"--beta2", [](const Loss& l) { return l.optimizer == OptimizerKind::kAdam ? number(l.beta2) : std::string(); }}};
  for (const auto& [option, value_of] : per_loss) {
    if (flag != option) continue;
    std::string values;
    for (const auto& loss : loss_table())
      if (const auto value = value_of(loss); !value.empty()) values += (values.empty() ? "" : ", ") + loss.name + " " + value;
    add("--loss " + values);
  }
  // The CPU's, for the architectures whose size may change.
  if (flag == "--width") add("on the CPU " + std::to_string(kCpuDefaultWidth));
  for (const auto& loss : loss_table())
    for (const auto& [option, value] : loss.cpu_training_defaults)
      if (option == flag) add(loss.name + " on the CPU " + value);
  for (const auto& arch : architectures())
    if (flag == "--grow-from" && arch.cpu_grows_from_side > 0)
      add("--arch " + arch.name + " on the CPU with data of side " + std::to_string(arch.cpu_grows_from_side) +
          " or more: " + std::to_string(kCpuGrowFrom));
  // The architectures' own.
  for (const auto& arch : architectures())
    for (const auto& [option, value] : arch.training_defaults)
      if (option == flag) add("--arch " + arch.name + ": " + value);
  return text;
}

TrainConfig new_run_config(const TrainOverrides& given) {
  TrainConfig c;
  apply_all(c, given);
  apply_arch_defaults(c, given);
  return c;
}

TrainConfig resumed_config(const TrainConfig& saved, const TrainOverrides& given) {
  auto refuse = [](const char* flag) {
    std::string allowed;
    for (const auto& f : resumable_flags()) allowed += (allowed.empty() ? "" : ", ") + f;
    throw UserError(std::string(flag) + " cannot be changed when resuming: the checkpoint fixes it (these may "
                    "change: " + allowed + ", --name)");
  };
#define WGAN_OPTION(field, type, default_value, rule, flag, range, help) \
  if (given.model.field) refuse(flag);
#include "wgan/models/model_options.def"
#undef WGAN_OPTION
#define WGAN_OPTION(field, type, default_value, rule, flag, range, help) \
  if (given.field && ResumeRule::rule == ResumeRule::kFixed) refuse(flag);
#include "wgan/run/train_options.def"
#undef WGAN_OPTION
  TrainConfig c = saved;
  if (given.length_given()) c.kimg = c.steps = c.epochs = c.minutes = std::nullopt;  // the new length replaces the old
  apply_all(c, given);
  return c;
}

void apply_cpu_defaults(TrainConfig& c, const TrainOverrides& given, torch::Device device) {
  const Architecture* arch = find_architecture(c.model.arch);
  if ((arch && arch->fixed_size) || !device.is_cpu()) return;
  if (!given.model.width) c.model.width = kCpuDefaultWidth;
  const Loss* loss = find_loss(c.loss);
  // An architecture with training defaults of its own (resnet: the WGAN-GP paper's schedule)
  // keeps them whole; an unknown --arch or --loss is check_options' to name.
  if (!loss || !arch || !arch->training_defaults.empty()) return;
  for (const auto& [flag, text] : loss->cpu_training_defaults)
    if (!set_unless_given(c, given, flag, text))
      throw std::logic_error("--loss " + loss->name + "'s CPU default names " + flag + ", not an option");
}

void apply_cpu_data_defaults(TrainConfig& c, const TrainOverrides& given, torch::Device device) {
  const Architecture* arch = find_architecture(c.model.arch);
  if (!arch || !device.is_cpu() || given.model.grow_from || arch->cpu_grows_from_side == 0) return;
  if (c.model.resolution >= arch->cpu_grows_from_side) c.model.grow_from = kCpuGrowFrom;
}

GrowthPhase growth_phase(const TrainConfig& c, int64_t real_batches) {
  if (c.model.grow_from == 0 || !c.grow_kimg) return {c.model.resolution, 1.0};
  return GrowthSchedule(c.model.grow_from, c.model.resolution, *c.grow_kimg * 1000.0).at(real_batches * c.batch);
}

int64_t effective_check_every(const TrainConfig& c, torch::Device device) {
  if (c.check_every > 0) return c.check_every;
  return device.is_cuda() ? c.log_every : 1;
}

void check_options(const TrainConfig& c, torch::Device device, int world_size, bool sync_bn) {
  // ---- Values, one flag at a time.
  validate(c.model, /*image_shape_known=*/false);  // the shape comes from the data: check_data_fits
  const Loss& loss = make_loss(c.loss);           // throws for an unknown --loss
  // The range column of the table, then what a range cannot say.
#define WGAN_OPTION(field, type, default_value, rule, flag, range, help) \
  check_range(c.field, OptionRange::range, flag);
#include "wgan/run/train_options.def"
#undef WGAN_OPTION
  if (c.beta1 && !(*c.beta1 >= 0 && *c.beta1 < 1)) throw UserError("--beta1 must be in [0, 1)");
  if (c.beta2 && !(*c.beta2 >= 0 && *c.beta2 < 1)) throw UserError("--beta2 must be in [0, 1)");
  const auto augment_kinds = parse_augment_list(c.augment);  // throws naming --augment
  if (c.augment_ada && augment_kinds.empty())
    throw UserError("--augment-p ada adapts the probability of --augment's transforms: give --augment too");
  if (!(c.ada_target > 0 && c.ada_target < 1)) throw UserError("--ada-target must be in (0, 1)");
  if (c.drift > 0 && !loss.gradient_penalty)
    throw UserError("--drift keeps a wgan-gp critic's scores near 0; --loss " + c.loss + " has no use for it");
  const int lengths = (c.kimg ? 1 : 0) + (c.steps ? 1 : 0) + (c.epochs ? 1 : 0) + (c.minutes ? 1 : 0);
  if (lengths > 1) throw UserError("give only one of --kimg, --steps, --epochs, --minutes");
  if (c.sample_count <= 0 || c.sample_count > 1024) throw UserError("--sample-count must be in 1..1024");
  if (c.model.grow_from > 0 && c.cuda_graph)
    throw UserError("--cuda-graph records one fixed iteration, and --grow changes the networks' resolution: drop one");
  if (c.metrics_num < 2) throw UserError("--metrics-num must be at least 2");

  // ---- What the device allows.
  if (c.gpu_data == GpuData::kOn && !device.is_cuda())
    throw UserError("--gpu-data on needs a GPU (--device cuda); the run is on " + device.str());
  if (c.cuda_graph) {
    if (!device.is_cuda()) throw UserError("--cuda-graph needs a GPU (--device cuda); the run is on " + device.str());
    if (c.gpu_data == GpuData::kOff) throw UserError("--cuda-graph needs the dataset on the GPU (--gpu-data auto or on)");
    if (c.gp_every != 1) throw UserError("--cuda-graph records one fixed iteration: use it with --gp-every 1");
    if (loss.optimizer != OptimizerKind::kAdam)
      throw UserError("--cuda-graph supports the Adam losses, not --loss " + c.loss);
    if (effective_check_every(c, device) == 1)
      throw UserError("--cuda-graph reads the losses every --check-every steps; 1 would wait for the GPU each step");
    // The captured Adam update holds the learning rate it was recorded with.
    if (c.lr_decay != LrDecay::kNone)
      throw UserError("--cuda-graph records the learning rate once: use it with --lr-decay none");
  }

  // ---- What several ranks allow.
  if (world_size > 1) {
    if (c.batch % world_size != 0)
      throw UserError("--batch " + std::to_string(c.batch) + " (the total over all ranks) must be divisible by the " +
                      std::to_string(world_size) + " ranks");
    if (c.cuda_graph) throw UserError("--cuda-graph runs in one process; drop it for distributed training");
    if (c.minutes)
      throw UserError("--minutes plans the run's length from one process's speed; give --steps or --kimg for "
                      "distributed training");
  }
  if (sync_bn && !architecture_of(c.model).takes_sync_bn)
    throw UserError("--sync-bn works with --arch " + architecture_names(&Architecture::takes_sync_bn) + " (" +
                    c.model.arch + " keeps plain BatchNorm)");
}

void check_data_fits(const TrainConfig& c, const ImageDataset& data, const TrainOverrides& given,
                     torch::Device device) {
  // Resolution and channels come from the data; a flag that disagrees is an error, not a silent resize.
  const std::tuple<const char*, std::optional<int64_t>, int64_t> shape_flags[] = {
      {"--resolution", given.model.resolution, data.resolution()},
      {"--channels", given.model.channels, data.channels()}};
  for (const auto& [flag, wanted, actual] : shape_flags) {
    if (wanted && *wanted != actual) {
      throw UserError(std::string(flag) + " " + std::to_string(*wanted) + " does not match the dataset (" +
                      data.name + " is " + std::to_string(data.resolution()) + "x" + std::to_string(data.resolution()) +
                      " with " + std::to_string(data.channels()) +
                      " channel(s)): drop the flag, or train on a dataset prepared at that size");
    }
  }
  if (c.model.resolution != data.resolution() || c.model.channels != data.channels()) {
    throw UserError("the dataset is " + std::to_string(data.resolution()) + "x" + std::to_string(data.resolution()) +
                    " with " + std::to_string(data.channels()) + " channel(s) but the model expects --resolution " +
                    std::to_string(c.model.resolution) + " --channels " + std::to_string(c.model.channels));
  }
  check_image_shape(c.model);
  if (c.cuda_graph && device.is_cuda() && c.gpu_data == GpuData::kAuto && !DeviceBatches::fits(data))
    throw UserError("--cuda-graph needs the dataset on the GPU, and " + data.name + " is too large for --gpu-data "
                    "auto: pass --gpu-data on, or drop --cuda-graph");
}

void take_classes_from_data(TrainConfig& c, const ImageDataset& data) {
  if (!c.cond) return;
  if (data.unlabeled > 0)
    throw UserError("--cond: " + std::to_string(data.unlabeled) + " of the images of " + data.name +
                    " lie directly in the source folder, not in a class subfolder: move them into one (or drop --cond)");
  if (!data.has_labels())
    throw UserError("--cond needs classes, and " + data.name + " has none: prepare a folder with one subfolder per "
                    "class (wgan prepare SRC --out DATASET takes each image's first-level subfolder as its class)");
  if (c.model.conditional()) {
    if (c.model.class_names != data.class_names)
      throw UserError("--cond: the data's classes differ from the checkpoint's (" + std::to_string(data.class_names.size()) +
                      " against " + std::to_string(c.model.classes()) + "): resume on the data the run was trained on");
    return;
  }
  c.model.class_names = data.class_names;
  c.model.class_counts = data.class_counts();
  c.model.class_head = c.class_loss > 0;
  validate(c.model, /*image_shape_known=*/false);  // --arch blog, fewer than two classes
}

void resolve(TrainConfig& c, int64_t dataset_size) {
  const Loss& loss = make_loss(c.loss);
  if (!c.n_critic) c.n_critic = loss.n_critic;
  if (!c.lr) c.lr = loss.lr;
  if (!c.beta1) c.beta1 = loss.beta1;
  if (!c.beta2) c.beta2 = loss.beta2;
  if (!c.kimg && !c.steps && !c.epochs && !c.minutes) c.steps = kDefaultSteps;
  const double images_per_step = static_cast<double>(c.batch * *c.n_critic);
  if (c.minutes) {
    c.total_steps = 0;  // planned by the trainer (train/time_budget.h)
    return;
  } else if (c.steps) {
    c.total_steps = *c.steps;
  } else if (c.kimg) {
    c.total_steps = static_cast<int64_t>(std::ceil(*c.kimg * 1000.0 / images_per_step));
  } else if (dataset_size > 0) {
    const double batches = std::floor(static_cast<double>(dataset_size) / c.batch) * *c.epochs;
    c.total_steps = static_cast<int64_t>(std::ceil(batches / *c.n_critic));
  }
  if (c.total_steps <= 0) c.total_steps = 1;
  // --grow without --grow-kimg: the phases share the run's images.
  if (c.model.grow_from > 0 && !c.grow_kimg) {
    const double images = static_cast<double>(c.total_steps) * images_per_step;
    c.grow_kimg = default_images_per_phase(c.model.grow_from, c.model.resolution, images) / 1000.0;
  }
}

nlohmann::json to_json(const TrainConfig& c) {
  nlohmann::json model;
#define WGAN_OPTION(field, type, default_value, rule, flag, range, help) model[#field] = json_value(c.model.field);
#include "wgan/models/model_options.def"
#undef WGAN_OPTION
  model["class_names"] = c.model.class_names;
  model["class_counts"] = c.model.class_counts;
  model["class_head"] = c.model.class_head;
  nlohmann::json j = {{"model", model}, {"total_steps", c.total_steps}};
#define WGAN_OPTION(field, type, default_value, rule, flag, range, help) j[#field] = json_value(c.field);
#include "wgan/run/train_options.def"
#undef WGAN_OPTION
  return j;
}

TrainConfig train_config_from_json(const nlohmann::json& j) {
  TrainConfig c;
  if (j.contains("model")) {
    const auto& model = j.at("model");
#define WGAN_OPTION(field, type, default_value, rule, flag, range, help) read_json(model, #field, c.model.field);
#include "wgan/models/model_options.def"
#undef WGAN_OPTION
    read_json(model, "class_names", c.model.class_names);
    read_json(model, "class_counts", c.model.class_counts);
    read_json(model, "class_head", c.model.class_head);
  }
#define WGAN_OPTION(field, type, default_value, rule, flag, range, help) read_json(j, #field, c.field);
#include "wgan/run/train_options.def"
#undef WGAN_OPTION
  read_json(j, "total_steps", c.total_steps);
  c.model.arch = canonical_arch(c.model.arch);  // checkpoints from before the rename say "seed"
  return c;
}

}  // namespace wgan
