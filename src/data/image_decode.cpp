#include "wgan/data/image_decode.h"

#include <algorithm>
#include <cctype>
#include <filesystem>

#if WGAN_HAVE_OPENCV
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#endif

namespace wgan {
namespace {

uint32_t be16(const std::string& b, size_t i) {
  return (uint32_t{static_cast<uint8_t>(b[i])} << 8) | static_cast<uint8_t>(b[i + 1]);
}
uint32_t be32(const std::string& b, size_t i) { return (be16(b, i) << 16) | be16(b, i + 2); }
uint32_t le16(const std::string& b, size_t i) {
  return (uint32_t{static_cast<uint8_t>(b[i + 1])} << 8) | static_cast<uint8_t>(b[i]);
}
uint32_t le32(const std::string& b, size_t i) { return (le16(b, i + 2) << 16) | le16(b, i); }
uint32_t le24(const std::string& b, size_t i) {
  return (uint32_t{static_cast<uint8_t>(b[i + 2])} << 16) | le16(b, i);
}

// Walks the JPEG markers to the first start-of-frame, which declares the size.
void jpeg_size(const std::string& b, ImageHeader& h) {
  size_t i = 2;
  while (i + 9 < b.size()) {
    if (static_cast<uint8_t>(b[i]) != 0xFF) return;
    const uint8_t marker = static_cast<uint8_t>(b[i + 1]);
    if (marker == 0xFF) {
      ++i;
      continue;
    }
    const bool sof = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
    if (sof) {
      h.height = be16(b, i + 5);
      h.width = be16(b, i + 7);
      return;
    }
    i += 2 + be16(b, i + 2);
  }
}

// TIFF: image width (tag 256) and length (257) from the first directory.
void tiff_size(const std::string& b, ImageHeader& h) {
  const bool little = b[0] == 'I';
  auto u16 = [&](size_t i) { return little ? le16(b, i) : be16(b, i); };
  auto u32 = [&](size_t i) { return little ? le32(b, i) : be32(b, i); };
  const size_t ifd = u32(4);
  if (ifd + 2 > b.size()) return;
  const size_t entries = u16(ifd);
  for (size_t e = 0; e < entries && ifd + 2 + e * 12 + 12 <= b.size(); ++e) {
    const size_t at = ifd + 2 + e * 12;
    const uint32_t tag = u16(at), type = u16(at + 2);
    const uint32_t value = type == 3 ? u16(at + 8) : u32(at + 8);
    if (tag == 256) h.width = value;
    if (tag == 257) h.height = value;
  }
}

}  // namespace

ImageHeader sniff_header(const std::string& b) {
  ImageHeader h;
  if (b.size() >= 24 && b.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0) {
    h.format = "png";
    h.width = be32(b, 16);
    h.height = be32(b, 20);
  } else if (b.size() >= 4 && static_cast<uint8_t>(b[0]) == 0xFF && static_cast<uint8_t>(b[1]) == 0xD8) {
    h.format = "jpeg";
    jpeg_size(b, h);
  } else if (b.size() >= 26 && b[0] == 'B' && b[1] == 'M') {
    h.format = "bmp";
    h.width = static_cast<int32_t>(le32(b, 18));
    h.height = std::abs(static_cast<int32_t>(le32(b, 22)));
  } else if (b.size() >= 30 && b.compare(0, 4, "RIFF") == 0 && b.compare(8, 4, "WEBP") == 0) {
    h.format = "webp";
    const std::string chunk = b.substr(12, 4);
    if (chunk == "VP8X") {
      h.width = le24(b, 24) + 1;
      h.height = le24(b, 27) + 1;
    } else if (chunk == "VP8L") {
      const uint32_t bits = le32(b, 21);
      h.width = (bits & 0x3FFF) + 1;
      h.height = ((bits >> 14) & 0x3FFF) + 1;
    } else if (chunk == "VP8 ") {
      h.width = le16(b, 26) & 0x3FFF;
      h.height = le16(b, 28) & 0x3FFF;
    }
  } else if (b.size() >= 8 &&
             (b.compare(0, 4, std::string("II*\0", 4)) == 0 || b.compare(0, 4, std::string("MM\0*", 4)) == 0)) {
    h.format = "tiff";
    tiff_size(b, h);
  }
  return h;
}

bool has_image_extension(const std::string& path) {
  std::string ext = std::filesystem::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext == ".jpg" || ext == ".jpeg" || ext == ".png" || ext == ".bmp" || ext == ".webp" || ext == ".tif" ||
         ext == ".tiff";
}

#if !WGAN_HAVE_OPENCV
FitResult decode_and_fit(const std::string&, const FitOptions&) {
  return {{}, "this build has no OpenCV to decode images"};
}
#else
namespace {

// Any depth and channel layout to 8-bit BGR (or gray), compositing alpha on white.
cv::Mat to_8bit(const cv::Mat& in, int64_t channels) {
  cv::Mat m = in;
  if (m.depth() == CV_16U) {
    m.convertTo(m, CV_8U, 1.0 / 257.0);
  } else if (m.depth() == CV_32F || m.depth() == CV_64F) {
    m.convertTo(m, CV_8U, 255.0);
  } else if (m.depth() != CV_8U) {
    m.convertTo(m, CV_8U);
  }
  cv::Mat bgr;
  if (m.channels() == 2 || m.channels() == 4) {
    std::vector<cv::Mat> planes;
    cv::split(m, planes);
    cv::Mat alpha;
    planes.back().convertTo(alpha, CV_32F, 1.0 / 255.0);
    planes.pop_back();
    cv::Mat color;
    cv::merge(planes, color);
    color.convertTo(color, CV_32F);
    std::vector<cv::Mat> alphas(static_cast<size_t>(color.channels()), alpha);
    cv::Mat alpha_n;
    cv::merge(alphas, alpha_n);
    // out = color * a + 255 * (1 - a): a fixed white background.
    cv::Mat out = color.mul(alpha_n) + (cv::Scalar::all(1.0) - alpha_n) * 255.0;
    out.convertTo(bgr, CV_8U);
  } else {
    bgr = m;
  }
  if (channels == 1 && bgr.channels() == 3) cv::cvtColor(bgr, bgr, cv::COLOR_BGR2GRAY);
  if (channels == 3 && bgr.channels() == 1) cv::cvtColor(bgr, bgr, cv::COLOR_GRAY2BGR);
  if (channels == 3) cv::cvtColor(bgr, bgr, cv::COLOR_BGR2RGB);
  return bgr;
}

cv::Rect crop_rect(int width, int height, const FitOptions& o, int reduction) {
  if (o.crop == "none") return {0, 0, width, height};
  int cw = 0, ch = 0;
  if (o.crop == "box") {
    cw = std::min<int>(width, static_cast<int>((o.crop_w + reduction - 1) / reduction));
    ch = std::min<int>(height, static_cast<int>((o.crop_h + reduction - 1) / reduction));
  } else {
    cw = ch = std::min(width, height);
  }
  return {(width - cw) / 2, (height - ch) / 2, cw, ch};
}

}  // namespace

FitResult decode_and_fit(const std::string& bytes, const FitOptions& o) {
  if (bytes.empty()) return {{}, "empty file"};
  const ImageHeader header = sniff_header(bytes);
  if (header.format.empty()) return {{}, "not an image (unknown file signature)"};
  int64_t declared_pixels = 0;  // from the header: two 32-bit fields whose product may overflow
  const bool too_many = __builtin_mul_overflow(header.width, header.height, &declared_pixels) ||
                        declared_pixels > o.max_pixels;
  if (header.width > 0 && header.height > 0 && too_many) {
    return {{}, "declared size " + std::to_string(header.width) + "x" + std::to_string(header.height) +
                    " exceeds the pixel limit (possible decompression bomb)"};
  }
  // libjpeg pads a truncated stream with gray and only warns: require the end-of-image marker.
  if (header.format == "jpeg") {
    size_t end = bytes.size();
    while (end > 2 && bytes[end - 1] == '\0') --end;
    if (end < 4 || static_cast<uint8_t>(bytes[end - 2]) != 0xFF || static_cast<uint8_t>(bytes[end - 1]) != 0xD9) {
      return {{}, "truncated JPEG (no end-of-image marker)"};
    }
  }
  cv::Mat decoded;
  int reduction = 1;
  try {
    const cv::Mat raw(1, static_cast<int>(bytes.size()), CV_8U, const_cast<char*>(bytes.data()));
    if (header.format == "jpeg") {
      // JPEG: libjpeg converts gray and CMYK and OpenCV applies the EXIF orientation; the
      // reduced-size decode is several times faster when the crop stays >= 2x the target.
      if (o.reduced_decode && header.width > 0) {
        const int64_t crop_side = o.crop == "box" ? std::min(o.crop_w, o.crop_h)
                                                  : std::min(header.width, header.height);
        while (reduction < 8 && crop_side / (reduction * 2) >= o.resolution) reduction *= 2;
      }
      const bool gray = o.channels == 1;
      int flags = gray ? cv::IMREAD_GRAYSCALE : cv::IMREAD_COLOR;
      if (reduction == 2) flags = gray ? cv::IMREAD_REDUCED_GRAYSCALE_2 : cv::IMREAD_REDUCED_COLOR_2;
      if (reduction == 4) flags = gray ? cv::IMREAD_REDUCED_GRAYSCALE_4 : cv::IMREAD_REDUCED_COLOR_4;
      if (reduction == 8) flags = gray ? cv::IMREAD_REDUCED_GRAYSCALE_8 : cv::IMREAD_REDUCED_COLOR_8;
      decoded = cv::imdecode(raw, flags);
    } else {
      decoded = cv::imdecode(raw, cv::IMREAD_UNCHANGED);
    }
  } catch (const cv::Exception& e) {
    return {{}, "corrupt image (" + header.format + " decoder: " + e.err + ")"};
  }
  if (decoded.empty()) return {{}, "corrupt or truncated " + header.format + " image"};
  if (std::min(decoded.cols, decoded.rows) * reduction < o.min_side) {
    return {{},
            "too small (" + std::to_string(decoded.cols * reduction) + "x" + std::to_string(decoded.rows * reduction) +
                ", minimum side " + std::to_string(o.min_side) + ")"};
  }
  cv::Mat image;
  try {
    image = to_8bit(decoded, o.channels);
    cv::Mat cropped = image(crop_rect(image.cols, image.rows, o, reduction));
    const cv::Size target(static_cast<int>(o.resolution), static_cast<int>(o.resolution));
    const bool shrinking = cropped.cols >= target.width && cropped.rows >= target.height;
    cv::resize(cropped, image, target, 0, 0, shrinking ? cv::INTER_AREA : cv::INTER_CUBIC);
  } catch (const cv::Exception& e) {
    return {{}, "cannot convert image: " + e.err};
  }
  auto pixels = torch::empty({o.resolution, o.resolution, o.channels}, torch::kUInt8);
  cv::Mat out(image.rows, image.cols, CV_8UC(static_cast<int>(o.channels)), pixels.data_ptr<uint8_t>());
  image.copyTo(out);
  return {pixels, ""};
}
#endif

}  // namespace wgan
