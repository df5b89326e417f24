// Classes in the data: prepare's first-level subfolders (ImageFolder's rule) into the manifest and
// labels.npy, Fashion-MNIST's ten, and what --max-images and a mixed folder do to them.
#include <gtest/gtest.h>

#include <filesystem>

#include "wgan/data/fashion_mnist.h"
#include "wgan/data/npy.h"
#include "wgan/data/prepare_command.h"
#include "wgan/data/training_data.h"
#include "wgan/io/image_grid.h"
#include "wgan/generate/class_labels.h"
#include "wgan/run/train_config.h"
#include "wgan/util/atomic_file.h"
#include "wgan/util/error.h"
#include "../support/run_cli.h"
#include "../support/train_fixtures.h"

namespace fs = std::filesystem;

namespace wgan {
namespace {

void write_images(const fs::path& dir, int count, int seed) {
  fs::create_directories(dir);
  torch::manual_seed(seed);
  for (int i = 0; i < count; ++i)
    write_png((dir / ("img" + std::to_string(i) + ".png")).string(), (torch::rand({20, 20, 3}) * 255).to(torch::kUInt8));
}

PrepareConfig prepare_config(const fs::path& source, const fs::path& out) {
  PrepareConfig c;
  c.source = source.string();
  c.out = out.string();
  c.fit.resolution = 32;
  c.quiet = true;
  return c;
}

TEST(ClassOf, IsTheFirstLevelSubfolder) {
  EXPECT_EQ(class_of("cats/a.jpg"), "cats");
  EXPECT_EQ(class_of("cats/old/b.jpg"), "cats");
  EXPECT_EQ(class_of("a.jpg"), "");
  EXPECT_EQ(class_of("Ünïcode ß/c.png"), "Ünïcode ß");
}

TEST(ClassLabels, PrepareWritesSortedClassesAndOneLabelPerImage) {
  if (!WGAN_HAVE_OPENCV) GTEST_SKIP() << "built without OpenCV";
  const fs::path root = test_support::fresh_dir("class_labels");
  // Sorted as Python sorts str: "Zebra" < "cats" < "dogs and more" < "Ünïcode ß" (by code point).
  write_images(root / "src" / "dogs and more", 3, 1);
  write_images(root / "src" / "cats", 2, 2);
  write_images(root / "src" / "cats" / "kittens", 1, 3);  // deeper: still "cats"
  write_images(root / "src" / "Ünïcode ß", 2, 4);
  write_images(root / "src" / "Zebra", 1, 5);
  const auto report = run_prepare(prepare_config(root / "src", root / "ds"));
  const std::vector<std::string> expected = {"Zebra", "cats", "dogs and more", "Ünïcode ß"};
  EXPECT_EQ(report.classes, expected);
  EXPECT_EQ(report.unlabeled, 0);

  const auto dataset = load_prepared_dataset((root / "ds").string());
  ASSERT_TRUE(dataset.has_labels());
  EXPECT_EQ(dataset.class_names, expected);
  EXPECT_EQ(dataset.class_counts(), (std::vector<int64_t>{1, 3, 3, 2}));
  // Each image's label is its file's class in the manifest's order.
  const auto manifest = nlohmann::json::parse(read_file((root / "ds" / "manifest.json").string()));
  ASSERT_EQ(manifest["files"].size(), 9u);
  for (size_t i = 0; i < 9; ++i) {
    const auto name = class_of(manifest["files"][i].get<std::string>());
    EXPECT_EQ(expected[static_cast<size_t>(dataset.labels[static_cast<int64_t>(i)].item<int64_t>())], name) << i;
    EXPECT_EQ(manifest["labels"][i].get<int64_t>(), dataset.labels[static_cast<int64_t>(i)].item<int64_t>());
  }
  EXPECT_EQ(manifest["labels_array"], "labels.npy");

  // numpy reads labels.npy as uint16.
  if (test_support::run_shell("/usr/bin/python3 -c 'import numpy'").code == 0) {
    const auto read = test_support::run_shell("/usr/bin/python3 -c \"import numpy; a = numpy.load('" +
                                              (root / "ds" / "labels.npy").string() +
                                              "'); print(a.dtype, a.shape, ','.join(map(str, a)))\"");
    ASSERT_EQ(read.code, 0) << read.output;
    std::string labels;
    for (int64_t i = 0; i < 9; ++i) labels += (i ? "," : "") + std::to_string(dataset.labels[i].item<int64_t>());
    EXPECT_EQ(read.output, "uint16 (9,) " + labels + "\n");
  }

  // --max-images keeps the labels of the images it keeps.
  DataRequest request;
  request.data = (root / "ds").string();
  request.max_images = 4;
  const auto first = load_training_data(request);
  EXPECT_EQ(first.labels.size(0), 4);
  EXPECT_TRUE(first.labels.equal(dataset.labels.narrow(0, 0, 4)));
  fs::remove_all(root);
}

TEST(ClassLabels, AFolderWithoutSubfoldersHasNoClassesAndAMixIsRefusedByCond) {
  if (!WGAN_HAVE_OPENCV) GTEST_SKIP() << "built without OpenCV";
  const fs::path root = test_support::fresh_dir("class_mix");
  write_images(root / "flat", 3, 1);
  auto flat = run_prepare(prepare_config(root / "flat", root / "flat_ds"));
  EXPECT_TRUE(flat.classes.empty());
  EXPECT_FALSE(load_prepared_dataset((root / "flat_ds").string()).has_labels());
  EXPECT_FALSE(fs::exists(root / "flat_ds" / "labels.npy"));

  write_images(root / "mixed" / "a", 2, 2);
  write_images(root / "mixed" / "b", 2, 3);
  write_images(root / "mixed", 1, 4);  // one image directly under SRC
  auto mixed = run_prepare(prepare_config(root / "mixed", root / "mixed_ds"));
  EXPECT_TRUE(mixed.classes.empty());
  EXPECT_EQ(mixed.unlabeled, 1);

  TrainConfig config;
  config.cond = true;
  try {
    take_classes_from_data(config, load_prepared_dataset((root / "mixed_ds").string()));
    FAIL() << "a mixed folder was accepted";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("1 of the images"), std::string::npos) << e.what();
  }
  try {
    take_classes_from_data(config, load_prepared_dataset((root / "flat_ds").string()));
    FAIL() << "a folder without classes was accepted";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("subfolder per class"), std::string::npos) << e.what();
  }
  fs::remove_all(root);
}

TEST(ClassLabels, FashionMnistHasItsTenClasses) {
  const auto train = load_fashion_mnist(kFashionMnistDefaultDir, FashionMnistSplit::kTrain, 600);
  ASSERT_TRUE(train.has_labels());
  EXPECT_EQ(train.class_names.size(), 10u);
  EXPECT_EQ(train.class_names[9], "Ankle boot");
  EXPECT_EQ(train.labels.size(0), 600);
  const auto counts = train.class_counts();
  for (int64_t c : counts) EXPECT_NEAR(static_cast<double>(c), 60.0, 25.0);  // about balanced
  TrainConfig config;
  config.cond = true;
  take_classes_from_data(config, train);
  EXPECT_EQ(config.model.class_counts, counts);
  EXPECT_EQ(train_config_from_json(to_json(config)).model.class_names, train.class_names);  // config.json keeps them
}

TEST(ClassLabels, LabelsForMetricsFollowTheClassFrequencies) {
  ModelConfig model;
  model.class_names = {"a", "b", "c"};
  model.class_counts = {100, 300, 600};
  const auto labels = labels_at_class_frequencies(model, 1000);
  const auto counts = torch::bincount(labels, {}, 3);
  EXPECT_NEAR(counts[0].item<double>(), 100, 1);
  EXPECT_NEAR(counts[1].item<double>(), 300, 1);
  EXPECT_NEAR(counts[2].item<double>(), 600, 1);
  EXPECT_FALSE(labels_at_class_frequencies(ModelConfig{}, 10).defined());
  EXPECT_EQ(parse_class(model, "b"), 1);
  EXPECT_EQ(parse_class(model, "2"), 2);
  EXPECT_THROW(parse_class(model, "3"), UserError);
  EXPECT_THROW(parse_class(model, "d"), UserError);
}

TEST(ClassLabels, Uint16NpyRoundTripsAndRejectsOtherFiles) {
  const auto dir = test_support::fresh_dir("labels_npy");
  fs::create_directories(dir);
  const std::string path = dir + "/labels.npy";
  write_file_atomic(path, uint16_npy_bytes({0, 1, 65535, 7}));
  EXPECT_TRUE(read_uint16_npy(path).equal(torch::tensor({0, 1, 65535, 7}, torch::kInt64)));
  write_file_atomic(path, npy_header({4}, "|u1") + std::string(4, '\0'));
  EXPECT_THROW(read_uint16_npy(path), UserError);  // uint8, not uint16
  const auto bytes = uint16_npy_bytes({1, 2, 3});
  write_file_atomic(path, bytes.substr(0, bytes.size() - 1));
  EXPECT_THROW(read_uint16_npy(path), UserError);  // truncated
  fs::remove_all(dir);
}

}  // namespace
}  // namespace wgan
