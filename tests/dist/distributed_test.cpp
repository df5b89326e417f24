// Data-parallel training on c10d's Gloo backend, with worker processes on this machine over
// loopback: N ranks x B images train exactly like one process with N*B, only rank 0 writes,
// the ranks check that they agree, and a dead rank ends the job with an error, not a hang.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "wgan/data/batcher.h"
#include "wgan/dist/process_group.h"
#include "wgan/dist/sync_batch_norm.h"
#include "wgan/models/networks.h"
#include "wgan/run/checkpoint.h"
#include "../support/run_cli.h"

namespace fs = std::filesystem;
using namespace wgan;
using test_support::run_cli;

namespace {

fs::path temp_dir(const std::string& name) {
  auto dir = fs::temp_directory_path() / ("wgan_dist_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

// Every parameter and buffer of G and D in the newest checkpoint of `run_dir`.
std::vector<torch::Tensor> checkpoint_weights(const std::string& run_dir) {
  auto files = list_checkpoints(run_dir);
  EXPECT_FALSE(files.empty()) << run_dir;
  CheckpointReader reader(files.front());
  auto g = make_generator(reader.config().model);
  auto d = make_critic(reader.config().model);
  reader.load_module("G", *g);
  reader.load_module("D", *d);
  std::vector<torch::Tensor> all;
  for (auto* m : {static_cast<torch::nn::Module*>(g.get()), static_cast<torch::nn::Module*>(d.get())}) {
    for (auto& p : m->parameters()) all.push_back(p.detach().clone());
    for (auto& b : m->buffers()) all.push_back(b.detach().clone().to(torch::kFloat64));
  }
  return all;
}

std::string small_run(int steps) {
  return " --steps " + std::to_string(steps) +
         " --width 8 --batch 16 --max-images 512 --critic-norm layer --log-every 1 --sample-every 3 "
         "--checkpoint-every 3 --ema-kimg 0 --threads 1 --quiet --precision fp32";  // exact comparisons
}
const std::string kSmallRun = small_run(3);

}  // namespace

TEST(Distributed, ShardsTileTheWholeBatch) {
  ImageDataset data{torch::arange(40 * 4, torch::kInt64).to(torch::kUInt8).view({40, 2, 2, 1}).contiguous(), "t"};
  EpochBatcher whole(data, 8, 5, /*xflip=*/true);
  EpochBatcher first(data, 8, 5, true), second(data, 8, 5, true);
  first.set_shard(0, 2);
  second.set_shard(1, 2);
  for (int64_t index : {0, 1, 6, 13}) {
    auto joined = torch::cat({first.batch(index), second.batch(index)});
    EXPECT_TRUE(torch::equal(joined, whole.batch(index))) << "batch " << index;
  }
  EXPECT_THROW(first.set_shard(0, 3), std::runtime_error);  // 8 images do not split over 3 ranks
}

TEST(Distributed, SyncBatchNormWithoutAGroupIsBatchNorm) {
  torch::manual_seed(1);
  SyncBatchNorm2d sync(4);
  torch::nn::BatchNorm2d plain(4);
  auto x = torch::randn({6, 4, 5, 5}) * 3 + 1;
  auto y_sync = sync->forward(x);
  auto y_plain = plain->forward(x);
  EXPECT_NEAR((y_sync - y_plain).abs().max().item<double>(), 0.0, 1e-6);
  EXPECT_NEAR((sync->running_var - plain->running_var).abs().max().item<double>(), 0.0, 1e-6);
  // Same names as BatchNorm2d, so checkpoints and exported state dicts do not change.
  std::vector<std::string> names;
  for (auto& item : sync->named_parameters()) names.push_back(item.key());
  for (auto& item : sync->named_buffers()) names.push_back(item.key());
  EXPECT_EQ(names, (std::vector<std::string>{"weight", "bias", "running_mean", "running_var", "num_batches_tracked"}));
}

TEST(Distributed, EnvironmentIsReadAndCheckedLikeTorchrun) {
  ::unsetenv("WORLD_SIZE");
  EXPECT_EQ(dist_options_from_environment().world_size, 1);
  ::setenv("WORLD_SIZE", "2", 1);
  ::unsetenv("RANK");
  EXPECT_THROW(dist_options_from_environment(), std::runtime_error);  // RANK missing
  ::setenv("RANK", "two", 1);
  EXPECT_THROW(dist_options_from_environment(), std::runtime_error);
  ::setenv("RANK", "1", 1);
  ::setenv("MASTER_PORT", "1234", 1);
  auto o = dist_options_from_environment();
  EXPECT_EQ(o.rank, 1);
  EXPECT_EQ(o.world_size, 2);
  EXPECT_EQ(o.master_port, 1234);
  for (const char* name : {"WORLD_SIZE", "RANK", "MASTER_PORT"}) ::unsetenv(name);
}

TEST(Distributed, TwoRanksTrainLikeOneProcessWithTheWholeBatch) {
  if (!distributed_available()) GTEST_SKIP() << "built without c10d/Gloo";
  auto dir = temp_dir("equal");
  // lr 1e-4: Adam's first steps move a weight by about lr whatever the gradient's size, so the
  // rounding-level differences of a 2-rank reduction show at the scale of lr.
  auto one = run_cli("train --run-dir " + (dir / "one").string() + kSmallRun + " --sync-bn --lr 1e-4");
  ASSERT_EQ(one.code, 0) << one.output;
  auto two = run_cli("train --nproc 2 --run-dir " + (dir / "two").string() + kSmallRun + " --sync-bn --lr 1e-4");
  ASSERT_EQ(two.code, 0) << two.output;
  auto a = checkpoint_weights((dir / "one").string());
  auto b = checkpoint_weights((dir / "two").string());
  ASSERT_EQ(a.size(), b.size());
  double worst = 0;
  for (size_t i = 0; i < a.size(); ++i)
    worst = std::max(worst, (a[i].to(torch::kFloat64) - b[i].to(torch::kFloat64)).abs().max().item<double>());
  EXPECT_NEAR(worst, 0.0, 1e-4);
  // And training moved the weights: the comparison is not between two untouched initialisations.
  auto c = run_cli("train --run-dir " + (dir / "other").string() + small_run(1));
  ASSERT_EQ(c.code, 0) << c.output;
  auto other = checkpoint_weights((dir / "other").string());
  double moved = 0;
  for (size_t i = 0; i < a.size(); ++i)
    moved = std::max(moved, (a[i].to(torch::kFloat64) - other[i].to(torch::kFloat64)).abs().max().item<double>());
  EXPECT_GT(moved, 1e-3);

  // Only rank 0 wrote: one metrics line per step (two writers would double them), one grid.
  std::ifstream metrics(dir / "two" / "metrics.jsonl");
  int lines = 0;
  for (std::string line; std::getline(metrics, line);) ++lines;
  EXPECT_EQ(lines, 3);
  EXPECT_EQ(std::distance(fs::directory_iterator(dir / "two" / "samples"), fs::directory_iterator{}), 1);

  // The 2-rank run resumes in one process (another world size): same total batch, same counters.
  auto resumed = run_cli("train --resume " + (dir / "two").string() + " --steps 4 --quiet");
  ASSERT_EQ(resumed.code, 0) << resumed.output;
  CheckpointReader last(list_checkpoints((dir / "two").string()).front());
  EXPECT_EQ(last.state().step, 4);
  fs::remove_all(dir);
}

// Without --sync-bn each rank's BatchNorm statistics follow its own half of the batch; rank 0's are
// broadcast every step (as DDP's broadcast_buffers), so the strict agreement check before each
// checkpoint (parameters and buffers) passes, through --nproc and through torchrun's variables.
TEST(Distributed, TwoRanksWithoutSyncBnCheckpointThroughBothLaunchPaths) {
  if (!distributed_available()) GTEST_SKIP() << "built without c10d/Gloo";
  auto dir = temp_dir("nosyncbn");
  auto nproc = run_cli("train --nproc 2 --run-dir " + (dir / "nproc").string() + kSmallRun);
  ASSERT_EQ(nproc.code, 0) << nproc.output;
  EXPECT_EQ(nproc.output.find("differ"), std::string::npos) << nproc.output;
  ASSERT_EQ(list_checkpoints((dir / "nproc").string()).size(), 1u);
  CheckpointReader written(list_checkpoints((dir / "nproc").string()).front());
  EXPECT_EQ(written.state().step, 3);

  const std::string port = std::to_string(22000 + ::getpid() % 20000);
  const std::string common = " train --run-dir " + (dir / "torchrun").string() + kSmallRun;
  const std::string script = "cd " + dir.string() + "; export WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=" +
                             port + "; (RANK=1 LOCAL_RANK=1 " + WGAN_CLI_PATH + common +
                             " > r1.log 2>&1; echo $? > r1.code) & RANK=0 LOCAL_RANK=0 " + WGAN_CLI_PATH + common +
                             " > r0.log 2>&1; echo $? > r0.code; wait";
  std::system(("bash -c '" + script + "'").c_str());
  for (const char* rank : {"r0", "r1"}) {
    int code = -1;
    std::ifstream(dir / (std::string(rank) + ".code")) >> code;
    std::stringstream log;
    log << std::ifstream(dir / (std::string(rank) + ".log")).rdbuf();
    EXPECT_EQ(code, 0) << rank << ": " << log.str();
  }
  ASSERT_EQ(list_checkpoints((dir / "torchrun").string()).size(), 1u);
  // Same seed, same shards, same broadcasts: both launch paths trained the same model.
  auto a = checkpoint_weights((dir / "nproc").string());
  auto b = checkpoint_weights((dir / "torchrun").string());
  ASSERT_EQ(a.size(), b.size());
  double worst = 0;
  for (size_t i = 0; i < a.size(); ++i)
    worst = std::max(worst, (a[i].to(torch::kFloat64) - b[i].to(torch::kFloat64)).abs().max().item<double>());
  EXPECT_NEAR(worst, 0.0, 1e-5);
  fs::remove_all(dir);
}

// --augment-p ada: every rank moves p by the same (all-reduced) signal, so the ranks agree at the
// checkpoint (which fails otherwise: each rank's own p would train differently), and p did move.
TEST(Distributed, AdaptiveAugmentationKeepsTheRanksInStep) {
  if (!distributed_available()) GTEST_SKIP() << "built without c10d/Gloo";
  auto dir = temp_dir("ada");
  auto run = run_cli("train --nproc 2 --run-dir " + (dir / "ada").string() + small_run(8) +
                     " --augment translation --augment-p ada --ada-target 0.001 --ada-kimg 1"
                     // The WGAN-GP paper's optimiser: its critic overfits within these 8 steps.
                     " --n-critic 5 --lr 2e-4 --beta2 0.9 --drift 0");
  ASSERT_EQ(run.code, 0) << run.output;
  EXPECT_EQ(run.output.find("differ"), std::string::npos) << run.output;
  CheckpointReader written(list_checkpoints((dir / "ada").string()).front());
  EXPECT_GT(written.state().augment_p, 0.0);
  fs::remove_all(dir);
}

TEST(Distributed, RanksThatDisagreeRefuseToCheckpoint) {
  if (!distributed_available()) GTEST_SKIP() << "built without c10d/Gloo";
  auto dir = temp_dir("disagree");
  const std::string port = std::to_string(21000 + ::getpid() % 20000);
  // Two workers started by hand with different learning rates: their weights drift apart.
  const std::string common = " train --run-dir " + (dir / "run").string() + kSmallRun;
  const std::string script = "cd " + dir.string() + " && export WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=" +
                             port + " && (RANK=1 " + WGAN_CLI_PATH + common + " --lr 3e-4 > r1.log 2>&1 &) && RANK=0 " +
                             WGAN_CLI_PATH + common + " > r0.log 2>&1; echo $? > r0.code; sleep 2";
  std::system(("bash -c '" + script + "'").c_str());
  std::ifstream code_file(dir / "r0.code");
  int code = -1;
  code_file >> code;
  std::stringstream log;
  log << std::ifstream(dir / "r0.log").rdbuf();
  EXPECT_EQ(code, 1) << log.str();
  EXPECT_NE(log.str().find("weights differ"), std::string::npos) << log.str();
  EXPECT_TRUE(list_checkpoints((dir / "run").string()).empty());
  fs::remove_all(dir);
}

TEST(Distributed, AKilledWorkerEndsTheJobWithAnError) {
  if (!distributed_available()) GTEST_SKIP() << "built without c10d/Gloo";
  auto dir = temp_dir("kill");
  const std::string port = std::to_string(21000 + (::getpid() + 7) % 20000);
  const std::string common = " train --run-dir " + (dir / "run").string() +
                             " --steps 100000 --width 8 --batch 16 --max-images 512 --log-every 1 --threads 1 "
                             "--dist-timeout 60";
  // Rank 1 is killed (SIGKILL: no goodbye) once training runs; rank 0 must exit on its own with
  // an error well before the 60 s timeout, and timeout(1) guards the test against a hang.
  const std::string script =
      "cd " + dir.string() + " && export WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=" + port + "; RANK=1 " +
      WGAN_CLI_PATH + common + " > r1.log 2>&1 & p1=$!; RANK=0 timeout 120 " + WGAN_CLI_PATH + common +
      " > r0.log 2>&1 & p0=$!; for i in $(seq 1 600); do [ -s run/metrics.jsonl ] && break; sleep 0.1; done; "
      "kill -9 $p1; start=$(date +%s); wait $p0; echo $? > r0.code; echo $(( $(date +%s) - start )) > r0.seconds";
  std::system(("bash -c '" + script + "'").c_str());
  int code = -1, seconds = -1;
  std::ifstream(dir / "r0.code") >> code;
  std::ifstream(dir / "r0.seconds") >> seconds;
  std::stringstream log;
  log << std::ifstream(dir / "r0.log").rdbuf();
  EXPECT_EQ(code, 1) << log.str();  // 124 would mean timeout(1) had to kill a hung rank
  EXPECT_LT(seconds, 60) << log.str();
  EXPECT_NE(log.str().find("another rank stopped"), std::string::npos) << log.str();
  fs::remove_all(dir);
}
