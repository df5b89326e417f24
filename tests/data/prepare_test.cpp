#include "wgan/data/prepare_command.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "wgan/data/npy.h"
#include "wgan/data/training_data.h"
#include "wgan/io/image_grid.h"
#include "wgan/util/atomic_file.h"
#include "wgan/util/error.h"

#if WGAN_HAVE_OPENCV
#include <opencv2/imgcodecs.hpp>
#endif

namespace fs = std::filesystem;

namespace wgan {
namespace {

#if WGAN_HAVE_OPENCV

const std::string kFixtures = std::string(WGAN_SOURCE_DIR) + "/tests/data/fixtures";

std::string encode(const cv::Mat& m, const std::string& ext) {
  std::vector<uchar> buf;
  EXPECT_TRUE(cv::imencode(ext, m, buf)) << ext;
  return std::string(buf.begin(), buf.end());
}

void put(const fs::path& path, const std::string& bytes) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << bytes;
}

// A colourful test card (BGR) so that crops and resizes have something to keep.
cv::Mat card(int w, int h) {
  cv::Mat m(h, w, CV_8UC3);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) m.at<cv::Vec3b>(y, x) = {uchar(x * 255 / w), uchar(y * 255 / h), uchar(128)};
  return m;
}

// A PNG whose IHDR declares w x h (with a valid CRC) and holds no pixel data.
std::string png_declaring(uint32_t w, uint32_t h) {
  std::string ihdr = "IHDR";
  for (uint32_t v : {w, h})
    for (int s = 24; s >= 0; s -= 8) ihdr.push_back(char((v >> s) & 0xff));
  ihdr += std::string{8, 2, 0, 0, 0};
  std::string png = "\x89PNG\r\n\x1a\n";
  png += std::string{0, 0, 0, 13} + ihdr;
  const uLong crc = crc32(0, reinterpret_cast<const Bytef*>(ihdr.data()), ihdr.size());
  for (int s = 24; s >= 0; s -= 8) png.push_back(char((crc >> s) & 0xff));
  return png + std::string{0, 0, 0, 0} + "IEND\xae\x42\x60\x82";
}

class PrepareTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("wgan_prepare_" + std::to_string(::getpid()));
    fs::remove_all(root_);
    src_ = root_ / "src";
    const std::string jpeg = encode(card(178, 218), ".jpg");
    // Good files: every format and layout prepare must convert.
    put(src_ / "a_celeb.jpg", jpeg);
    put(src_ / "b_wide.png", encode(card(90, 40), ".png"));
    cv::Mat gray(50, 50, CV_8UC1, cv::Scalar(200));
    put(src_ / "c_gray.png", encode(gray, ".png"));
    cv::Mat rgba(40, 40, CV_8UC4, cv::Scalar(0, 0, 0, 0));  // fully transparent black -> white background
    put(src_ / "d_rgba.png", encode(rgba, ".png"));
    cv::Mat deep(40, 40, CV_16UC3, cv::Scalar(65535, 65535, 65535));
    put(src_ / "e_16bit.png", encode(deep, ".png"));
    put(src_ / "f_bitmap.bmp", encode(card(40, 40), ".bmp"));
    put(src_ / "g_photo.webp", encode(card(48, 48), ".webp"));
    put(src_ / "h_scan.tiff", encode(card(40, 40), ".tiff"));
    fs::create_directories(src_);
    fs::copy_file(kFixtures + "/cmyk.jpg", src_ / "i_cmyk.jpg");
    fs::copy_file(kFixtures + "/exif_rotated.jpg", src_ / "j_exif.jpg");
    put(src_ / "sub" / "deeper" / "k_nested.JPG", jpeg);
    put(src_ / "x.jpg" / "l_inside_dir_named_jpg.png", encode(card(40, 40), ".png"));
    put(src_ / u8"m_фото_ünï.png", encode(card(40, 40), ".png"));
    // Bad files, each with its reason.
    put(src_ / "bad_truncated.jpg", jpeg.substr(0, jpeg.size() / 2));
    std::string noise(3000, '\0');
    for (size_t i = 0; i < noise.size(); ++i) noise[i] = char((i * 2654435761u) >> 13);
    put(src_ / "bad_random.jpg", noise);
    put(src_ / "bad_empty.png", "");
    put(src_ / "bad_tiny.png", encode(cv::Mat(1, 1, CV_8UC3, cv::Scalar(1, 2, 3)), ".png"));
    put(src_ / "bad_bomb.png", png_declaring(100000, 100000));
    put(src_ / "notes.txt", "not an image extension: ignored");
    fs::create_directory_symlink("..", src_ / "sub" / "loop");
  }
  void TearDown() override { fs::remove_all(root_); }

  PrepareConfig config() {
    PrepareConfig c;
    c.source = src_.string();
    c.out = (root_ / "out").string();
    c.fit.resolution = 32;
    c.quiet = true;
    c.threads = 2;
    return c;
  }

  fs::path root_, src_;
};

TEST_F(PrepareTest, KeepsEveryGoodImageAndReportsEveryBadOne) {
  const auto report = run_prepare(config());
  EXPECT_EQ(report.kept, 13);
  std::map<std::string, std::string> reasons;
  for (const auto& s : report.skipped) reasons[fs::path(s.path).filename().string()] = s.reason;
  auto expect_reason = [&](const std::string& file, const std::string& words) {
    ASSERT_TRUE(reasons.count(file)) << file << " was not reported";
    EXPECT_NE(reasons[file].find(words), std::string::npos) << file << ": " << reasons[file];
  };
  expect_reason("bad_truncated.jpg", "truncated");
  expect_reason("bad_random.jpg", "not an image");
  expect_reason("bad_empty.png", "empty");
  expect_reason("bad_tiny.png", "too small");
  expect_reason("bad_bomb.png", "pixel limit");
  expect_reason("loop", "symlink loop");
  EXPECT_EQ(reasons.size(), 6u);

  auto manifest = nlohmann::json::parse(read_file((root_ / "out" / kDatasetManifest).string()));
  EXPECT_EQ(manifest["count"].get<int64_t>(), 13);
  EXPECT_EQ(manifest["files"][0].get<std::string>(), "a_celeb.jpg");  // path order
  EXPECT_EQ(manifest["skipped"].size(), 6u);
  bool loop_named = false;  // the link's own name, not the folder it points to
  for (const auto& s : manifest["skipped"]) loop_named = loop_named || s["file"].get<std::string>() == "sub/loop";
  EXPECT_TRUE(loop_named) << manifest["skipped"].dump();

  auto data = load_prepared_dataset((root_ / "out").string());
  ASSERT_EQ(data.images.sizes(), torch::IntArrayRef({13, 32, 32, 3}));
  auto files = manifest["files"].get<std::vector<std::string>>();
  auto index_of = [&](const std::string& name) {
    return static_cast<int64_t>(std::find(files.begin(), files.end(), name) - files.begin());
  };
  auto pixel = [&](const std::string& name, int y, int x) { return data.images[index_of(name)][y][x]; };
  // Transparent RGBA composited on white; 16-bit full scale is 255; gray becomes R = G = B.
  EXPECT_EQ(pixel("d_rgba.png", 16, 16).min().item<int>(), 255);
  EXPECT_EQ(pixel("e_16bit.png", 16, 16).min().item<int>(), 255);
  EXPECT_EQ(pixel("c_gray.png", 5, 5)[0].item<int>(), 200);
  EXPECT_EQ(pixel("c_gray.png", 5, 5)[2].item<int>(), 200);
  // CMYK pure cyan: red low, green and blue high.
  auto cyan = pixel("i_cmyk.jpg", 16, 16).to(torch::kInt);
  EXPECT_NEAR(cyan[0].item<int>(), 0, 40);
  EXPECT_NEAR(cyan[1].item<int>(), 255, 40);
  EXPECT_NEAR(cyan[2].item<int>(), 255, 40);
  // RGB order: the card's red is a constant 128, its blue rises left to right (about 70 here).
  EXPECT_NEAR(pixel("b_wide.png", 16, 2)[0].item<int>(), 128, 4);
  EXPECT_LT(pixel("b_wide.png", 16, 2)[2].item<int>(), 110);
}

TEST_F(PrepareTest, ExifOrientationIsHonoured) {
  // Stored 60x20 with the left third black; upright (EXIF 6) it is 20x60 with the black third on
  // top. Squashed to 32x32, the top rows are dark only if the rotation was applied.
  FitOptions o;
  o.resolution = 32;
  o.crop = "none";
  auto fit = decode_and_fit(read_file(kFixtures + "/exif_rotated.jpg"), o);
  ASSERT_TRUE(fit.ok()) << fit.reason;
  EXPECT_LT(fit.pixels[2][16].to(torch::kInt).max().item<int>(), 60);
  EXPECT_GT(fit.pixels[28][16].to(torch::kInt).min().item<int>(), 200);
}

TEST_F(PrepareTest, StrictFailsAndWritesNothing) {
  auto c = config();
  c.strict = true;
  EXPECT_THROW(run_prepare(c), UserError);
  EXPECT_FALSE(fs::exists(root_ / "out" / kDatasetManifest));
  EXPECT_FALSE(fs::exists(root_ / "out" / kDatasetArray));
}

TEST_F(PrepareTest, PresetsAndFlagsAreChecked) {
  auto c = config();
  c.preset = "celeba";
  apply_preset_and_validate(c);
  EXPECT_EQ(c.fit.crop, "box");
  EXPECT_EQ(c.fit.crop_w, 140);
  EXPECT_EQ(c.fit.resolution, 64);
  c = config();
  c.preset = "faces";
  EXPECT_THROW(apply_preset_and_validate(c), UserError);
  c = config();
  c.fit.resolution = 48;
  EXPECT_THROW(apply_preset_and_validate(c), UserError);
  c = config();
  c.source = (root_ / "missing").string();
  EXPECT_THROW(apply_preset_and_validate(c), UserError);
}

TEST(PrepareCrop, ParsesCenterNoneAndABoxAndNamesTheFlagOtherwise) {
  FitOptions fit;
  parse_crop("none", fit);
  EXPECT_EQ(fit.crop, "none");
  parse_crop("140x120", fit);
  EXPECT_EQ(fit.crop, "box");
  EXPECT_EQ(fit.crop_w, 140);
  EXPECT_EQ(fit.crop_h, 120);
  parse_crop("center", fit);
  EXPECT_EQ(fit.crop, "center");
  for (const char* bad : {"140", "x140", "140x", "0x10", "12x-3", "1.5x2", "140x140px", "square"}) {
    try {
      parse_crop(bad, fit);
      ADD_FAILURE() << bad << " accepted";
    } catch (const UserError& e) {
      EXPECT_NE(std::string(e.what()).find("--crop '" + std::string(bad) + "'"), std::string::npos) << e.what();
    }
    EXPECT_EQ(fit.crop, "center") << "a rejected --crop changed the options: " << bad;
  }
}

TEST_F(PrepareTest, CorruptedArrayIsCaughtByTheChecksum) {
  run_prepare(config());
  const auto array = (root_ / "out" / kDatasetArray).string();
  {
    std::fstream f(array, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(-10, std::ios::end);
    f.put('\x7f');
  }
  EXPECT_THROW(load_prepared_dataset((root_ / "out").string()), UserError);
  // Truncated: the header promises more bytes than the file holds.
  const auto bytes = read_file(array);
  write_file_atomic(array, bytes.substr(0, bytes.size() - 100));
  EXPECT_THROW(load_prepared_dataset((root_ / "out").string()), UserError);
}

TEST_F(PrepareTest, NumpyReadsTheArray) {
  if (!fs::exists("/usr/bin/python3") || std::system("/usr/bin/python3 -c 'import numpy' 2>/dev/null") != 0) {
    GTEST_SKIP() << "python3-numpy not installed";
  }
  run_prepare(config());
  const std::string cmd = "/usr/bin/python3 -c \"import numpy, sys; a = numpy.load(sys.argv[1]); "
                          "sys.exit(0 if a.shape == (13, 32, 32, 3) and a.dtype == numpy.uint8 else 1)\" " +
                          (root_ / "out" / kDatasetArray).string();
  EXPECT_EQ(std::system(cmd.c_str()), 0);
}

TEST_F(PrepareTest, ReducedJpegDecodeMatchesFullDecode) {
  const std::string jpeg = encode(card(512, 512), ".jpg");
  FitOptions o;
  o.resolution = 64;
  auto reduced = decode_and_fit(jpeg, o);
  o.reduced_decode = false;
  auto full = decode_and_fit(jpeg, o);
  ASSERT_TRUE(reduced.ok() && full.ok());
  EXPECT_NEAR((reduced.pixels.to(torch::kFloat) - full.pixels.to(torch::kFloat)).abs().mean().item<double>(), 0.0, 3.0);
}

#endif  // WGAN_HAVE_OPENCV

TEST(Npy, HeaderIsNumpyVersion1AndAligned) {
  const auto h = npy_header({2, 3, 4, 1});
  EXPECT_EQ(h.size() % 64, 0u);
  EXPECT_EQ(h.substr(1, 5), "NUMPY");
  EXPECT_NE(h.find("'shape': (2,3,4,1)"), std::string::npos);
  const auto path = (fs::temp_directory_path() / ("wgan_npy_" + std::to_string(::getpid()) + ".npy")).string();
  write_file_atomic(path, h + std::string(24, '\x05'));
  auto t = map_npy(path);
  EXPECT_EQ(t.sizes(), torch::IntArrayRef({2, 3, 4, 1}));
  EXPECT_EQ(t.sum().item<int64_t>(), 24 * 5);
  fs::remove(path);
}

}  // namespace
}  // namespace wgan
