// The resolved run is typed: the closed choices are enums with one list of names (parsed with the
// flag named, written by name to config.json), the defaults that depend on the loss, the
// architecture or the device come from their tables, and --help states every default from them.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "wgan/losses/losses.h"
#include "wgan/models/architecture.h"
#include "wgan/run/train_config.h"
#include "wgan/util/error.h"
#include "../support/run_cli.h"
#include "../support/train_fixtures.h"

namespace wgan {
namespace {

template <typename E>
void expect_names_round_trip(const std::string& flag) {
  for (const auto& entry : EnumNames<E>::values) {
    EXPECT_EQ(parse_enum<E>(entry.name, flag), entry.value) << entry.name;
    EXPECT_STREQ(name_of(entry.value), entry.name);
    EXPECT_EQ(nlohmann::json(entry.value), nlohmann::json(entry.name));
    EXPECT_EQ(nlohmann::json(entry.name).get<E>(), entry.value);
  }
  try {
    parse_enum<E>("fp16-ish", flag);
    ADD_FAILURE() << flag << " took an unknown name";
  } catch (const UserError& e) {
    EXPECT_EQ(std::string(e.what()), flag + " 'fp16-ish' must be " + enum_choices<E>());
  }
}

TEST(TypedPlan, EveryChoiceParsesFromItsNameAndWritesItBack) {
  expect_names_round_trip<Precision>("--precision");
  expect_names_round_trip<CriticNorm>("--critic-norm");
  expect_names_round_trip<GeneratorNorm>("--generator-norm");
  expect_names_round_trip<LrDecay>("--lr-decay");
  expect_names_round_trip<DeviceChoice>("--device");
  expect_names_round_trip<GpuData>("--gpu-data");
  EXPECT_EQ(enum_choices<Precision>(), "auto, fp32 or bf16");
}

TEST(TypedPlan, ConfigJsonKeepsTheNamesAndRefusesAnUnknownOne) {
  TrainConfig c;
  c.precision = Precision::kBf16;
  c.model.critic_norm = CriticNorm::kInstance;
  c.lr_decay = LrDecay::kLinear;
  c.gpu_data = GpuData::kOff;
  c.device = DeviceChoice::kCpu;
  const auto json = to_json(c);
  EXPECT_EQ(json.at("precision"), "bf16");  // what config.json and old checkpoints hold
  EXPECT_EQ(json.at("model").at("critic_norm"), "instance");
  const auto back = train_config_from_json(json);
  EXPECT_EQ(back.precision, Precision::kBf16);
  EXPECT_EQ(back.model.critic_norm, CriticNorm::kInstance);
  EXPECT_EQ(back.lr_decay, LrDecay::kLinear);
  EXPECT_EQ(back.gpu_data, GpuData::kOff);
  EXPECT_EQ(back.device, DeviceChoice::kCpu);
  auto damaged = json;
  damaged["precision"] = "fp8";
  EXPECT_THROW(train_config_from_json(damaged), UserError);
}

TEST(TypedPlan, ArchitectureDefaultsComeFromTheRowAndAreTyped) {
  for (const auto& arch : architectures()) {
    TrainOverrides given;
    given.model.arch = arch.name;
    const auto config = new_run_config(given);  // parses each of the row's defaults: throws when one is bad
    for (const auto& [flag, value] : arch.training_defaults) {
      // The row's value is in the run's config.json under the option that flag names.
      const auto json = to_json(config);
      bool found = false;
      auto matches = [&](const nlohmann::json& j, const std::string& key) {
        const auto& v = j.at(key);
        return v.is_string() ? v.get<std::string>() == value : std::abs(v.get<double>() - std::stod(value)) < 1e-12;
      };
      if (flag == "--lr") found = matches(json, "lr");
      if (flag == "--lr-decay") found = matches(json, "lr_decay");
      if (flag == "--critic-norm") found = matches(json.at("model"), "critic_norm");
      EXPECT_TRUE(found) << arch.name << " " << flag << " " << value;
    }
  }
}

// On the CPU, dcgan with wgan-gp trains with the loss row's CPU defaults where no flag sets them,
// and grows at 64x64 and up; resnet keeps its own schedule, and a GPU the loss table's.
TEST(TypedPlan, OnTheCpuDcganTakesTheLossesCpuDefaultsAndGrowsFrom64) {
  TrainOverrides given;
  auto c = new_run_config(given);
  apply_cpu_defaults(c, given, torch::kCPU);
  EXPECT_EQ(c.model.width, kCpuDefaultWidth);
  ASSERT_TRUE(c.n_critic && c.lr && c.beta1 && c.beta2);
  EXPECT_EQ(*c.n_critic, 1);
  EXPECT_NEAR(*c.lr, 1e-3, 1e-15);
  EXPECT_NEAR(*c.beta1, 0.0, 1e-15);
  EXPECT_NEAR(*c.beta2, 0.99, 1e-15);
  EXPECT_NEAR(c.drift, 0.001, 1e-15);
  // What the user gives wins, flag by flag.
  given.lr = 3e-4;
  given.n_critic = 5;
  c = new_run_config(given);
  apply_cpu_defaults(c, given, torch::kCPU);
  EXPECT_NEAR(*c.lr, 3e-4, 1e-15);
  EXPECT_EQ(*c.n_critic, 5);
  EXPECT_NEAR(c.drift, 0.001, 1e-15);
  // Other losses have none; resnet keeps the paper's schedule.
  TrainOverrides gan;
  gan.loss = "gan";
  c = new_run_config(gan);
  apply_cpu_defaults(c, gan, torch::kCPU);
  EXPECT_FALSE(c.n_critic.has_value());  // the loss table's, at resolve()
  TrainOverrides resnet;
  resnet.model.arch = "resnet";
  c = new_run_config(resnet);
  apply_cpu_defaults(c, resnet, torch::kCPU);
  EXPECT_NEAR(*c.lr, 2e-4, 1e-15);
  EXPECT_FALSE(c.n_critic.has_value());
  EXPECT_NEAR(c.drift, 0.0, 1e-15);
  // Growth: from 64x64 up on the CPU, unless --grow-from is given (0 keeps it off).
  TrainOverrides none;
  for (const auto& [side, grows] : std::vector<std::pair<int64_t, bool>>{{32, false}, {64, true}, {128, true}}) {
    c = new_run_config(none);
    c.model.resolution = side;
    apply_cpu_data_defaults(c, none, torch::kCPU);
    EXPECT_EQ(c.model.grow_from, grows ? kCpuGrowFrom : 0) << side;
  }
  TrainOverrides off;
  off.model.grow_from = 0;
  c = new_run_config(off);
  c.model.resolution = 64;
  apply_cpu_data_defaults(c, off, torch::kCPU);
  EXPECT_EQ(c.model.grow_from, 0);
  // The help says both.
  EXPECT_NE(default_help("--n-critic").find("wgan-gp on the CPU 1"), std::string::npos) << default_help("--n-critic");
  EXPECT_NE(default_help("--grow-from").find("on the CPU with data of side 64 or more: 8"), std::string::npos)
      << default_help("--grow-from");
}

TEST(TypedPlan, HelpStatesEachDefaultFromWhereItIsSet) {
  EXPECT_EQ(default_help("--batch"), std::to_string(TrainConfig{}.batch));
  EXPECT_EQ(default_help("--precision"), "auto");
  EXPECT_EQ(default_help("--xflip"), "");  // a flag that is off by default
  // Per loss, from the loss table.
  const std::string n_critic = default_help("--n-critic");
  for (const auto& loss : loss_table())
    EXPECT_NE(n_critic.find(loss.name + " " + std::to_string(loss.n_critic)), std::string::npos) << n_critic;
  // Per architecture, from its row; on the CPU, from the CPU defaults.
  EXPECT_NE(default_help("--lr-decay").find("--arch resnet: linear"), std::string::npos) << default_help("--lr-decay");
  EXPECT_NE(default_help("--width").find("on the CPU " + std::to_string(kCpuDefaultWidth)), std::string::npos);
  EXPECT_NE(default_help("--steps").find(std::to_string(kDefaultSteps)), std::string::npos);
}

TEST(TypedPlan, TheCliOffersEveryTableOptionWithItsDefaultAndRefusesBadNames) {
  using test_support::run_cli;
  const auto help = run_cli("train --help");
  ASSERT_EQ(help.code, 0) << help.output;
  for (const auto& flag : train_option_flags()) EXPECT_NE(help.output.find(flag), std::string::npos) << flag;
  EXPECT_NE(help.output.find("[default: " + default_help("--n-critic") + "]"), std::string::npos) << help.output;
  EXPECT_NE(help.output.find("Networks:"), std::string::npos);  // the table's groups
  const auto dir = test_support::fresh_dir("typed_plan");
  auto bad = run_cli("train --precision fp16 --dry-run --run-dir " + dir);
  EXPECT_NE(bad.code, 0);
  EXPECT_NE(bad.output.find("--precision 'fp16' must be auto, fp32 or bf16"), std::string::npos) << bad.output;
  auto dry = run_cli("train --arch resnet --precision fp32 --device cpu --dry-run --run-dir " + dir);
  ASSERT_EQ(dry.code, 0) << dry.output;
  EXPECT_NE(dry.output.find("\"precision\": \"fp32\""), std::string::npos) << dry.output;
  EXPECT_NE(dry.output.find("\"lr_decay\": \"linear\""), std::string::npos) << dry.output;
}

}  // namespace
}  // namespace wgan
