#include "wgan/data/training_data.h"

#include <zlib.h>

#include <filesystem>
#include <iostream>

#include "wgan/data/fashion_mnist.h"
#include "wgan/data/npy.h"
#include "wgan/data/prepare_command.h"
#include "wgan/util/atomic_file.h"
#include "wgan/util/error.h"
#include "wgan/util/printable.h"

namespace fs = std::filesystem;

namespace wgan {

namespace {

// The manifest's fields, read by load_prepared_dataset; a field of the wrong type throws
// nlohmann::json::type_error, which the caller turns into a UserError naming the manifest.
ImageDataset dataset_from_manifest(const nlohmann::json& manifest, const fs::path& dir,
                                   const std::string& manifest_path) {
  if (!manifest.is_object() || manifest.value("format", "") != "wgan-dataset")
    throw UserError(manifest_path + " is not a wgan dataset manifest");
  const std::string array_path = (dir / manifest.value("array", kDatasetArray)).string();
  auto images = map_npy(array_path);
  const std::vector<int64_t> expected = {
      manifest.value("count", int64_t{-1}), manifest.value("resolution", int64_t{-1}),
      manifest.value("resolution", int64_t{-1}), manifest.value("channels", int64_t{-1})};
  if (images.sizes() != torch::IntArrayRef(expected)) {
    throw UserError(array_path + " has shape " + c10::str(images.sizes()) + " but its manifest says " +
                    c10::str(torch::IntArrayRef(expected)) + ": prepare it again");
  }
  if (manifest.contains("crc32")) {
    const auto crc = crc32_z(crc32(0L, Z_NULL, 0), images.data_ptr<uint8_t>(), static_cast<size_t>(images.numel()));
    if (crc != manifest["crc32"].get<uint64_t>())
      throw UserError(array_path + " does not match its manifest's checksum: prepare it again");
  }
  ImageDataset dataset;
  dataset.images = images;
  dataset.name = "prepared:" + dir.string();
  // Classes (class subfolders): labels.npy, one uint16 per image, checked against the manifest.
  const auto classes = manifest.value("classes", nlohmann::json::array());
  if (manifest.contains("labels_array") && classes.is_array() && !classes.empty()) {
    const std::string labels_path = (dir / manifest["labels_array"].get<std::string>()).string();
    auto labels = read_uint16_npy(labels_path);
    if (labels.size(0) != dataset.size())
      throw UserError(labels_path + " holds " + std::to_string(labels.size(0)) + " labels for the " +
                      std::to_string(dataset.size()) + " images of " + array_path + ": prepare it again");
    if (labels.numel() > 0 && labels.max().item<int64_t>() >= static_cast<int64_t>(classes.size()))
      throw UserError(labels_path + " has a label past the manifest's " + std::to_string(classes.size()) +
                      " classes: prepare it again");
    dataset.labels = labels;
    dataset.class_names = classes.get<std::vector<std::string>>();
  }
  dataset.unlabeled = manifest.value("unlabeled", int64_t{0});
  return dataset;
}

}  // namespace

ImageDataset load_prepared_dataset(const std::string& path) {
  const fs::path dir = fs::is_directory(path) ? fs::path(path) : fs::path(path).parent_path();
  const std::string manifest_path = (dir / kDatasetManifest).string();
  if (!fs::exists(manifest_path)) {
    throw UserError(path + " is not a prepared dataset (no " + manifest_path + "): create one with `wgan prepare`");
  }
  try {
    return dataset_from_manifest(nlohmann::json::parse(read_file(manifest_path)), dir, manifest_path);
  } catch (const nlohmann::json::parse_error& e) {
    throw UserError(manifest_path + " is not valid JSON: " + printable(e.what(), 200));
  } catch (const nlohmann::json::exception& e) {
    throw UserError(manifest_path + " has a field of the wrong type: " + printable(e.what(), 200));
  }
}

namespace {

// See load_training_data: splits `dataset` (all of the data) into what trains and what is held out.
ImageDataset take_held_out(ImageDataset& dataset, int64_t max_images, bool quiet) {
  constexpr int64_t kMinSpare = 256, kMaxHeldOut = 1000, kMinHeldOut = 64;
  const int64_t size = dataset.size();
  if (max_images > 0 && size - max_images >= kMinSpare)
    return dataset.slice(max_images, std::min(kMaxHeldOut, size - max_images));
  const int64_t training = max_images > 0 ? std::min(max_images, size) : size;
  const int64_t held = std::clamp(training / 20, kMinHeldOut, kMaxHeldOut);
  if (training - held < kMinHeldOut)
    throw UserError("--augment-p ada holds out real images to measure overfitting, and " + dataset.name + " has only " +
                    std::to_string(training) + ": give a fixed --augment-p instead");
  if (!quiet)
    std::cerr << "--augment-p ada: holding out the last " << held << " of " << training
              << " images to measure the critic's overfitting (they are not trained on)\n";
  auto held_out = dataset.slice(training - held, held);
  dataset.keep_first(training - held);
  return held_out;
}

}  // namespace

ImageDataset load_training_data(const DataRequest& r, ImageDataset* held_out) {
  ImageDataset dataset;
  if (r.data == "fashion-mnist") {
    dataset = load_fashion_mnist(r.data_dir, FashionMnistSplit::kTrain, held_out ? 0 : r.max_images);
  } else if (fs::exists(r.data) &&
             (fs::exists(fs::path(r.data) / kDatasetManifest) || fs::path(r.data).extension() == ".npy")) {
    dataset = load_prepared_dataset(r.data);
  } else if (fs::is_directory(r.data)) {
    // A folder of images: prepare it once into the run's cache and reuse that on later runs.
    const std::string manifest = (fs::path(r.cache_dir) / kDatasetManifest).string();
    bool reuse = false;
    if (fs::exists(manifest)) {
      try {
        auto m = nlohmann::json::parse(read_file(manifest));
        // A cache from before classes were recorded ("classes" missing) is prepared again.
        reuse = m.value("source", "") == fs::absolute(r.data).lexically_normal().string() &&
                m.value("resolution", int64_t{0}) == r.resolution && m.value("channels", int64_t{0}) == r.channels &&
                m.contains("classes");
      } catch (const nlohmann::json::exception&) {
      }
    }
    if (!reuse) {
      if (!r.quiet) {
        std::cerr << "--data " << r.data << " is a folder of images: preparing it into " << r.cache_dir << " ("
                  << r.resolution << "x" << r.resolution << "x" << r.channels
                  << ", centre crop); later runs can pass --data " << r.cache_dir << "\n";
      }
      PrepareConfig prepare;
      prepare.source = r.data;
      prepare.out = r.cache_dir;
      prepare.fit.resolution = r.resolution;
      prepare.fit.channels = r.channels;
      prepare.quiet = r.quiet;
      const auto report = run_prepare(prepare);
      if (!r.quiet) {
        std::cerr << "prepared " << report.kept << " images, skipped " << report.skipped.size()
                  << " (reasons in " << manifest << ")\n";
      }
    }
    dataset = load_prepared_dataset(r.cache_dir);
  } else {
    throw UserError("--data " + r.data +
                    ": not fashion-mnist, a prepared dataset (wgan prepare), or a folder of images");
  }
  if (held_out) *held_out = take_held_out(dataset, r.max_images, r.quiet);
  dataset.keep_first(r.max_images);
  return dataset;
}

}  // namespace wgan
