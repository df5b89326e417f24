// Damaged files never load silently: a checkpoint damaged in 45 ways (bit flips, changed bytes in
// the tensor data, the pickle, the zip's directory and record headers, zeroed and duplicated spans,
// truncation, appended bytes, a changed CRC) is either refused with its name or, where the damage
// cannot reach a tensor, loads identical to the intact file. The table by kind is printed. Also:
// `train --resume RUN` past a damaged newest checkpoint, `wgan check`, and messages that quote a
// file keep its raw bytes off the terminal.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <map>
#include <random>

#include "wgan/io/torch_pickle.h"
#include "wgan/io/zip_records.h"
#include "wgan/models/networks.h"
#include "wgan/run/checkpoint.h"
#include "wgan/util/atomic_file.h"
#include "wgan/util/error.h"
#include "wgan/util/printable.h"
#include "../support/run_cli.h"
#include "../support/small_checkpoint.h"
#include "../support/train_fixtures.h"

namespace fs = std::filesystem;

namespace wgan {
namespace {

using test_support::run_cli;
using test_support::write_small_checkpoint;

uint32_t le32(const std::string& bytes, size_t at) {
  uint32_t v = 0;
  for (int k = 3; k >= 0; --k) v = (v << 8) | static_cast<unsigned char>(bytes.at(at + k));
  return v;
}
uint32_t le16(const std::string& bytes, size_t at) {
  return static_cast<unsigned char>(bytes.at(at)) | (static_cast<unsigned char>(bytes.at(at + 1)) << 8);
}

// Where things are in a zip (from its central directory): enough to aim damage at a region.
struct ZipLayout {
  struct Record {
    std::string name;
    size_t header = 0, data = 0, size = 0;  // local header offset, data offset, data bytes
    size_t directory_entry = 0;             // its central directory entry
  };
  std::vector<Record> records;
  size_t directory = 0, end = 0;  // central directory start; the file's size
};

ZipLayout layout_of(const std::string& bytes) {
  ZipLayout zip;
  zip.end = bytes.size();
  size_t eocd = bytes.size() - 22;
  while (le32(bytes, eocd) != 0x06054b50) --eocd;
  zip.directory = le32(bytes, eocd + 16);
  for (size_t at = zip.directory; le32(bytes, at) == 0x02014b50;) {
    ZipLayout::Record r;
    const size_t name_length = le16(bytes, at + 28);
    r.name = bytes.substr(at + 46, name_length);
    r.size = le32(bytes, at + 20);
    r.header = le32(bytes, at + 42);
    r.data = r.header + 30 + le16(bytes, r.header + 26) + le16(bytes, r.header + 28);
    r.directory_entry = at;
    zip.records.push_back(r);
    at += 46 + name_length + le16(bytes, at + 30) + le16(bytes, at + 32);
  }
  return zip;
}

// Everything a resume restores, loaded from `path` into fresh objects.
struct Loaded {
  std::vector<torch::Tensor> tensors;  // networks, optimizer moments, fixed z, random state
  std::string counters;                // config and step counters
};

std::vector<torch::Tensor> module_tensors(torch::nn::Module& module) {
  std::vector<torch::Tensor> out;
  for (const auto& p : module.named_parameters()) out.push_back(p.value().clone());
  for (const auto& b : module.named_buffers()) out.push_back(b.value().clone());
  return out;
}

void append_adam_state(torch::optim::Adam& opt, std::vector<torch::Tensor>& out) {
  for (const auto& group : opt.param_groups())
    for (const auto& p : group.params()) {
      auto& state = static_cast<torch::optim::AdamParamState&>(
          *opt.state().at(c10::guts::to_string(p.unsafeGetTensorImpl())));
      out.push_back(state.exp_avg().clone());
      out.push_back(state.exp_avg_sq().clone());
      out.push_back(torch::tensor(state.step()));
    }
}

Loaded load_everything(const std::string& path) {
  CheckpointReader reader(path);
  const auto& config = reader.config();
  auto g = make_generator(config.model), g_ema = make_generator(config.model);
  auto d = make_critic(config.model);
  reader.load_module("G", *g);
  reader.load_module("D", *d);
  reader.load_module("G_ema", *g_ema);
  torch::optim::Adam opt_g(g->parameters(), torch::optim::AdamOptions(1e-3));
  torch::optim::Adam opt_d(d->parameters(), torch::optim::AdamOptions(1e-3));
  reader.load_optimizer("opt_G", opt_g);
  reader.load_optimizer("opt_D", opt_d);
  Loaded loaded;
  for (auto* net : std::vector<torch::nn::Module*>{g.get(), d.get(), g_ema.get()}) {
    auto t = module_tensors(*net);
    loaded.tensors.insert(loaded.tensors.end(), t.begin(), t.end());
  }
  append_adam_state(opt_g, loaded.tensors);
  append_adam_state(opt_d, loaded.tensors);
  loaded.tensors.push_back(reader.tensor("fixed_z"));
  loaded.tensors.push_back(reader.tensor("rng_cpu"));
  const auto& s = reader.state();
  loaded.counters = to_json(config).dump() + " " + std::to_string(s.step) + " " + std::to_string(s.real_batches) +
                    " " + std::to_string(s.g_images) + " " + std::to_string(s.train_seconds);
  return loaded;
}

bool identical(const Loaded& a, const Loaded& b) {
  if (a.counters != b.counters || a.tensors.size() != b.tensors.size()) return false;
  for (size_t i = 0; i < a.tensors.size(); ++i)
    if (a.tensors[i].sizes() != b.tensors[i].sizes() || a.tensors[i].scalar_type() != b.tensors[i].scalar_type() ||
        !torch::equal(a.tensors[i], b.tensors[i]))
      return false;
  return true;
}

struct Damage {
  std::string kind;
  std::string bytes;
};

// 45 damaged copies of `intact`, each of one kind, at positions drawn from a fixed seed.
std::vector<Damage> damaged_copies(const std::string& intact) {
  const ZipLayout zip = layout_of(intact);
  std::mt19937_64 rng(31);
  const auto uniform = [&](size_t lo, size_t hi) { return std::uniform_int_distribution<size_t>(lo, hi - 1)(rng); };
  const auto flip_bit = [&](std::string bytes, size_t at) {
    bytes[at] = static_cast<char>(bytes[at] ^ (1 << uniform(0, 8)));
    return bytes;
  };
  const auto change_byte = [&](std::string bytes, size_t at) {
    bytes[at] = static_cast<char>(bytes[at] ^ static_cast<char>(uniform(1, 256)));
    return bytes;
  };
  std::vector<const ZipLayout::Record*> tensors, pickles;
  for (const auto& r : zip.records) {
    if (r.name.find("/data/") != std::string::npos && r.size >= 16) tensors.push_back(&r);
    if (r.name.size() >= 8 && r.name.compare(r.name.size() - 8, 8, "data.pkl") == 0) pickles.push_back(&r);
  }
  if (tensors.empty() || pickles.empty()) throw std::runtime_error("no tensor or pickle record in the checkpoint");
  EXPECT_GE(tensors.size(), 10u);
  EXPECT_GE(pickles.size(), 1u);
  std::vector<Damage> out;
  for (int i = 0; i < 8; ++i) out.push_back({"bit flip anywhere", flip_bit(intact, uniform(0, intact.size()))});
  for (int i = 0; i < 6; ++i) {
    const auto* r = tensors[uniform(0, tensors.size())];
    out.push_back({"byte changed in tensor data", change_byte(intact, uniform(r->data, r->data + r->size))});
  }
  for (int i = 0; i < 5; ++i) {
    const auto* r = pickles[uniform(0, pickles.size())];
    out.push_back({"byte changed in a pickle", change_byte(intact, uniform(r->data, r->data + r->size))});
  }
  for (int i = 0; i < 6; ++i)
    out.push_back({"byte changed in the zip directory", change_byte(intact, uniform(zip.directory, zip.end))});
  for (int i = 0; i < 4; ++i) {
    const auto& r = zip.records[uniform(0, zip.records.size())];
    out.push_back({"byte changed in a record header", change_byte(intact, uniform(r.header, r.data))});
  }
  for (int i = 0; i < 2; ++i) {
    const auto* r = tensors[uniform(0, tensors.size())];
    const size_t crc = r->directory_entry + 16;
    out.push_back({"CRC-32 changed in the directory", change_byte(intact, uniform(crc, crc + 4))});
  }
  for (int i = 0; i < 4; ++i) {
    std::string bytes = intact;
    const size_t length = uniform(16, 4096), at = uniform(0, intact.size() - length);
    std::memset(&bytes[at], 0, length);
    out.push_back({"zeroed span", bytes});
  }
  for (int i = 0; i < 4; ++i) {
    std::string bytes = intact;
    const size_t length = uniform(16, 4096);
    const size_t from = uniform(0, intact.size() - length), to = uniform(0, intact.size() - length);
    bytes.replace(to, length, intact.substr(from, length));
    out.push_back({"duplicated span", bytes});
  }
  for (const size_t keep : {size_t{0}, size_t{100}, intact.size() / 2, intact.size() - 1})
    out.push_back({"truncated", intact.substr(0, keep)});
  out.push_back({"bytes appended", intact + std::string(1000, '\x55')});
  out.push_back({"bytes appended", intact + intact.substr(0, 5000)});
  return out;
}

TEST(CheckpointIntegrity, NoDamagedCopyLoadsSilently) {
  if (!zip_records_checkable()) GTEST_SKIP() << "built without libarchive: records are not verified";
  const std::string dir = test_support::fresh_dir("integrity");
  const std::string path = write_small_checkpoint(dir);
  const Loaded original = load_everything(path);
  const std::string intact = read_file(path);
  const std::string copy = dir + "/damaged.pt";

  struct Tally {
    int refused = 0, identical = 0, silent = 0;
  };
  std::map<std::string, Tally> table;
  int total = 0;
  for (const auto& damage : damaged_copies(intact)) {
    write_file_atomic(copy, damage.bytes);
    ++total;
    auto& tally = table[damage.kind];
    try {
      const Loaded loaded = load_everything(copy);
      if (identical(loaded, original)) {
        ++tally.identical;
      } else {
        ++tally.silent;
        ADD_FAILURE() << damage.kind << ": loaded with different contents and no error";
      }
    } catch (const UserError& e) {
      ++tally.refused;
      EXPECT_NE(std::string(e.what()).find(copy), std::string::npos) << "the error does not name the file: " << e.what();
      const std::string message = e.what();
      EXPECT_EQ(terminal_safe(message), message) << "raw bytes in the message";
    }
  }
  EXPECT_EQ(total, 45);
  std::printf("| damage | copies | refused, naming the file | loaded identical | loaded silently |\n"
              "|---|---|---|---|---|\n");
  for (const auto& [kind, t] : table)
    std::printf("| %s | %d | %d | %d | %d |\n", kind.c_str(), t.refused + t.identical + t.silent, t.refused,
                t.identical, t.silent);
  // The damage that can change a tensor is in the records, which the CRC-32s cover: all refused.
  EXPECT_EQ(table["byte changed in tensor data"].refused, 6);
  EXPECT_EQ(table["byte changed in a pickle"].refused, 5);
  EXPECT_EQ(table["truncated"].refused, 4);
  fs::remove_all(dir);
}

TEST(CheckpointIntegrity, ResumeFromARunPassesOverADamagedNewestButANamedFileIsRefused) {
  if (!zip_records_checkable()) GTEST_SKIP() << "built without libarchive: records are not verified";
  const std::string dir = test_support::fresh_dir("integrity_resume");
  const std::string older = write_small_checkpoint(dir);
  const std::string newer = checkpoint_path(dir, 8);
  std::string bytes = read_file(older);
  const auto zip = layout_of(bytes);
  const auto& record = *std::max_element(zip.records.begin(), zip.records.end(),
                                         [](const auto& a, const auto& b) { return a.size < b.size; });
  bytes[record.data] = static_cast<char>(bytes[record.data] ^ 0x40);
  write_file_atomic(newer, bytes);

  EXPECT_EQ(resolve_checkpoint(dir), older);
  try {
    CheckpointReader reader(newer);
    ADD_FAILURE() << "a damaged checkpoint named on its own was read";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find(newer + " is damaged"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("CRC"), std::string::npos) << e.what();
  }
  fs::remove_all(dir);
}

TEST(CheckpointIntegrity, ATorchSaveFileIsVerifiedToo) {
  if (!zip_records_checkable()) GTEST_SKIP() << "built without libarchive: records are not verified";
  const std::string dir = test_support::fresh_dir("integrity_torch");
  fs::create_directories(dir);
  const std::string path = dir + "/state.pt";
  save_torch_state_dict(path, {{"w", torch::arange(1000, torch::kFloat32)}});
  EXPECT_EQ(load_torch_file(path).size(), 1u);
  auto intact = run_cli("check " + path);
  EXPECT_EQ(intact.code, 0) << intact.output;
  EXPECT_NE(intact.output.find("a torch.save file: 1 tensors"), std::string::npos) << intact.output;
  std::string bytes = read_file(path);
  const auto zip = layout_of(bytes);
  for (const auto& r : zip.records)
    if (r.name.find("/data/") != std::string::npos) bytes[r.data + 17] = static_cast<char>(bytes[r.data + 17] ^ 1);
  write_file_atomic(path, bytes);
  try {
    load_torch_file(path);
    ADD_FAILURE() << "a changed storage record loaded";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("PyTorch file " + path + " is damaged"), std::string::npos) << e.what();
  }
  auto damaged = run_cli("check " + path);
  EXPECT_EQ(damaged.code, 1) << damaged.output;
  fs::remove_all(dir);
}

TEST(CheckpointIntegrity, CheckCommandReportsEachFileOfARun) {
  const std::string dir = test_support::fresh_dir("integrity_check");
  const std::string older = write_small_checkpoint(dir);
  write_file_atomic(dir + "/config.json", to_json(CheckpointReader(older).config()).dump(2));
  write_file_atomic(dir + "/metrics.jsonl", "{\"step\":1}\n{\"step\":2}\n");
  auto intact = run_cli("check " + dir);
  EXPECT_EQ(intact.code, 0) << intact.output;
  EXPECT_NE(intact.output.find("ok       " + older + ": step 4"), std::string::npos) << intact.output;
  EXPECT_NE(intact.output.find("config.json: parses, and equals ckpt-00000004.pt's config"), std::string::npos)
      << intact.output;
  EXPECT_NE(intact.output.find("metrics.jsonl: 2 lines, up to step 2"), std::string::npos) << intact.output;

  if (!zip_records_checkable()) GTEST_SKIP() << "built without libarchive: records are not verified";
  std::string bytes = read_file(older);
  const auto zip = layout_of(bytes);
  const auto largest = std::max_element(zip.records.begin(), zip.records.end(),
                                        [](const auto& a, const auto& b) { return a.size < b.size; });
  bytes[largest->data + largest->size / 2] = static_cast<char>(bytes[largest->data + largest->size / 2] ^ 0x08);
  const std::string newer = checkpoint_path(dir, 9);
  write_file_atomic(newer, bytes);
  auto damaged = run_cli("check " + dir);
  EXPECT_EQ(damaged.code, 1) << damaged.output;
  EXPECT_NE(damaged.output.find("DAMAGED  " + newer + ": checkpoint " + newer + " is damaged"), std::string::npos)
      << damaged.output;
  EXPECT_NE(damaged.output.find("ok       " + older), std::string::npos) << damaged.output;
  fs::remove_all(dir);
}

TEST(Printable, RawBytesNeverReachTheTerminal) {
  EXPECT_EQ(printable("ok \x1b[2J\xff"), "ok \\x1b[2J\\xff");
  EXPECT_EQ(printable(std::string(100, 'a'), 10), std::string(10, 'a') + "...");
  // Valid UTF-8 and newlines stay; escapes, invalid and overlong sequences do not.
  EXPECT_EQ(terminal_safe("caf\xc3\xa9 \xe2\x80\x94 line\nnext"), "caf\xc3\xa9 \xe2\x80\x94 line\nnext");
  EXPECT_EQ(terminal_safe("a\x1b]0;title\x07z"), "a\\x1b]0;title\\x07z");
  EXPECT_EQ(terminal_safe("\xc0\xaf \xed\xa0\x80 \xe2\x80"), "\\xc0\\xaf \\xed\\xa0\\x80 \\xe2\\x80");
}

}  // namespace
}  // namespace wgan
