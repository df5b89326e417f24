// Everything `wgan train` can be told. The options are listed once, in train_options.def (field,
// type, default, resume rule, flag); this header declares the config and the user's overrides
// from that table, and the steps that turn overrides into a checked, resolved config:
//
//   new_run_config / resumed_config   the defaults (or the checkpoint's config) plus what was given
//   check_options                     every check of the options, naming the flag (UserError)
//   check_data_fits                   the checks that need the loaded data
//   resolve                           the loss's defaults and the run's length in steps
//
// The resolved form is what config.json and each checkpoint hold.
#pragma once
#include <torch/torch.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "wgan/data/dataset.h"
#include "wgan/data/device_batches.h"
#include "wgan/data/fashion_mnist.h"
#include "wgan/models/growth.h"
#include "wgan/models/model_config.h"
#include "wgan/models/precision.h"
#include "wgan/optim/lr_schedule.h"
#include "wgan/util/device.h"
#include "wgan/util/option_table.h"

namespace wgan {

// Where the defaults live: the option tables (.def) hold each option's own; the loss table
// (losses.h) the optimizer's per loss; an architecture's row (architecture.h) the training defaults
// it wants (resnet: the WGAN-GP paper's), applied by new_run_config to the options not given; and
// these the CPU's. On the CPU a new run without --width uses kCpuDefaultWidth instead of 64, the
// loss row's cpu_training_defaults (wgan-gp: Progressive GAN's optimiser), and dcgan grows at
// 64x64 and up: the best quality per minute measured on a 2-core CPU (docs/performance-cpu.md),
// applied by apply_cpu_defaults and apply_cpu_data_defaults, so --dry-run and config.json show
// them. default_help() states them all in --help.
inline constexpr int64_t kCpuDefaultWidth = 32;
// The run's length when none of --kimg, --steps, --epochs is given.
inline constexpr int64_t kDefaultSteps = 2000;

struct TrainConfig {
  ModelConfig model;  // networks (resolution and channels come from the data)
#define WGAN_OPTION(field, type, default_value, rule, flag, range, help) type field = default_value;
#include "wgan/run/train_options.def"
#undef WGAN_OPTION
  int64_t total_steps = 0;  // resolved: generator steps in the whole run (0: --minutes plans it)
  // --minutes: the cadences that follow the planned length, those the user did not give (set by
  // the train command; not saved).
  struct BudgetCadence {
    bool log_every = false, sample_every = false, checkpoint_every = false;
  } budget_cadence;
};

// What the user gave on the command line: each option unset unless given. The library never sees
// how a flag is spelled on the command line, only which options were set.
struct TrainOverrides {
  ModelOverrides model;
#define WGAN_OPTION(field, type, default_value, rule, flag, range, help) Given<type> field;
#include "wgan/run/train_options.def"
#undef WGAN_OPTION
  bool length_given() const { return kimg || steps || epochs || minutes; }
};

// The defaults with every given option applied (a new run), and the architecture's own defaults
// (apply_arch_defaults) for the options not given.
TrainConfig new_run_config(const TrainOverrides& given);
void apply_arch_defaults(TrainConfig& config, const TrainOverrides& given);
// A checkpoint's config with the given options applied: UserError naming the flag for an option
// the checkpoint fixes (the message lists those that may change); a given length replaces the saved one.
TrainConfig resumed_config(const TrainConfig& saved, const TrainOverrides& given);
// The flags --resume accepts, from the table (for messages and help).
std::vector<std::string> resumable_flags();
// Every flag of the two option tables (the CLI must offer each one; a test checks --help).
std::vector<std::string> train_option_flags();
// What --help says of FLAG's default: the table's value, the loss table's per-loss values, the
// architecture rows' training defaults and the CPU defaults, each from where it is set ("" when
// the option has no default worth stating, such as a flag that is off).
std::string default_help(const std::string& flag);

// On the CPU, a new run's width and optimiser settings, where not given, become the
// quality-per-minute choice (kCpuDefaultWidth, the loss row's cpu_training_defaults, except where
// the architecture's row sets its own); GPUs and fixed-size architectures (blog) keep theirs.
void apply_cpu_defaults(TrainConfig& config, const TrainOverrides& given, torch::Device device);
// The CPU defaults that depend on the data, once its resolution is in config: a new run of an
// architecture whose row has cpu_grows_from_side, on data of that side or more, grows from
// kCpuGrowFrom unless --grow-from (or --grow) was given.
inline constexpr int64_t kCpuGrowFrom = 8;
void apply_cpu_data_defaults(TrainConfig& config, const TrainOverrides& given, torch::Device device);

// Every check of the options that does not need the data: ranges, names, and what the device and
// the number of ranks allow. Throws UserError naming the flag. Runs once per start, before the
// data is loaded, so a bad flag fails at once.
void check_options(const TrainConfig& config, torch::Device device, int world_size = 1, bool sync_bn = false);
// The checks that need the data: the image shape against the networks and any --resolution /
// --channels given, and --cuda-graph's need for the dataset on the GPU.
void check_data_fits(const TrainConfig& config, const ImageDataset& data, const TrainOverrides& given,
                     torch::Device device);

// --cond: the data's classes become the model's (a new run), or must be the checkpoint's (a resumed
// one). UserError when the data has no classes, only some images have one, or they changed.
void take_classes_from_data(TrainConfig& config, const ImageDataset& data);

// Fills the per-loss defaults (loss_table()) and turns the length into total_steps given the dataset
// size (0 for --minutes: the trainer plans it from the speed it measures). `dataset_size` <= 0 skips epochs -> steps. Expects checked options.
void resolve(TrainConfig& config, int64_t dataset_size);

// --grow: the phase a run is at after `real_batches` critic batches (models/growth.h); the final
// side, faded in, for a run that does not grow.
GrowthPhase growth_phase(const TrainConfig& config, int64_t real_batches);

// Steps between host reads of the losses: --check-every, or (0) every step on the CPU and every
// --log-every steps on a GPU.
int64_t effective_check_every(const TrainConfig& config, torch::Device device);

nlohmann::json to_json(const TrainConfig& config);
TrainConfig train_config_from_json(const nlohmann::json& json);

}  // namespace wgan
