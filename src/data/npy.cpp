#include "wgan/data/npy.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <regex>

#include "wgan/util/error.h"

namespace wgan {

std::string npy_header(const std::vector<int64_t>& shape, const std::string& descr) {
  std::string dims;
  for (size_t i = 0; i < shape.size(); ++i)
    dims += std::to_string(shape[i]) + (shape.size() == 1 || i + 1 < shape.size() ? "," : "");
  std::string dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (" + dims + "), }";
  const size_t unpadded = 10 + dict.size() + 1;
  dict.append((64 - unpadded % 64) % 64, ' ');
  dict.push_back('\n');
  std::string header = "\x93NUMPY";
  header.push_back(1);
  header.push_back(0);
  header.push_back(static_cast<char>(dict.size() & 0xff));
  header.push_back(static_cast<char>(dict.size() >> 8));
  return header + dict;
}

std::string float_npy_bytes(const torch::Tensor& tensor) {
  const auto values = tensor.detach().to(torch::kCPU, torch::kFloat32).contiguous();
  std::string bytes = npy_header(values.sizes().vec(), "<f4");  // x86 and ARM are little-endian
  bytes.append(static_cast<const char*>(values.data_ptr()), values.numel() * sizeof(float));
  return bytes;
}

namespace {

struct NpyLayout {
  std::vector<int64_t> shape;
  int64_t count = 1;         // elements
  size_t data_offset = 0;    // where the data starts
};

// Checks the header of a .npy file held in `bytes` (its first `size` bytes) for a C-ordered array of
// numpy type `descr` ("u1", "<u2") and returns its shape; UserError naming `path` otherwise.
NpyLayout parse_npy_header(const char* bytes, size_t size, const std::string& path, const std::string& descr,
                           size_t item_bytes) {
  auto fail = [&](const std::string& why) { throw UserError(path + ": " + why); };
  if (size < 10 || std::string(bytes, 6) != "\x93NUMPY") fail("not a .npy file");
  const int major = bytes[6];
  const size_t len_bytes = major == 1 ? 2 : 4;
  size_t header_len = static_cast<uint8_t>(bytes[8]) | (static_cast<size_t>(static_cast<uint8_t>(bytes[9])) << 8);
  if (len_bytes == 4) {
    if (size < 12) fail("truncated header");
    header_len |= (static_cast<size_t>(static_cast<uint8_t>(bytes[10])) << 16) |
                  (static_cast<size_t>(static_cast<uint8_t>(bytes[11])) << 24);
  }
  NpyLayout layout;
  layout.data_offset = 8 + len_bytes + header_len;
  if (layout.data_offset > size) fail("truncated header");
  const std::string dict(bytes + 8 + len_bytes, header_len);
  // uint8 has no byte order: numpy writes '|u1'; a 16-bit type must be little-endian ('<').
  const bool type_ok = descr == "u1" ? (dict.find("'|u1'") != std::string::npos || dict.find("'u1'") != std::string::npos)
                                     : dict.find("'" + descr + "'") != std::string::npos;
  if (!type_ok) fail("dtype is not " + std::string(descr == "u1" ? "uint8" : "little-endian uint16"));
  if (dict.find("'fortran_order': False") == std::string::npos) fail("array is not C-ordered");
  std::smatch m;
  if (!std::regex_search(dict, m, std::regex("'shape': \\(([0-9, ]*)\\)"))) fail("no shape in header");
  const std::string dims = m[1];
  const std::regex number("[0-9]+");
  // Sizes come from the file: each checked for overflow (a header may declare 10^30 elements).
  for (std::sregex_iterator it(dims.begin(), dims.end(), number), end; it != end; ++it) {
    if (it->length() > 15) fail("a dimension of " + std::to_string(it->length()) + " digits");
    layout.shape.push_back(std::stoll(it->str()));
    if (__builtin_mul_overflow(layout.count, layout.shape.back(), &layout.count)) fail("the shape's size overflows");
  }
  size_t data_bytes = 0;
  if (__builtin_mul_overflow(static_cast<size_t>(layout.count), item_bytes, &data_bytes) ||
      layout.data_offset + data_bytes < data_bytes)
    fail("the shape's size overflows");
  if (layout.data_offset + data_bytes > size) {
    fail("truncated: header declares " + std::to_string(data_bytes) +
         " bytes, file holds " + std::to_string(size - layout.data_offset));
  }
  return layout;
}

}  // namespace

std::string uint16_npy_bytes(const std::vector<int64_t>& values) {
  std::string bytes = npy_header({static_cast<int64_t>(values.size())}, "<u2");
  for (int64_t v : values) {
    bytes.push_back(static_cast<char>(v & 0xff));
    bytes.push_back(static_cast<char>((v >> 8) & 0xff));
  }
  return bytes;
}

torch::Tensor read_uint16_npy(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UserError("cannot open " + path);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const NpyLayout layout = parse_npy_header(bytes.data(), bytes.size(), path, "<u2", 2);
  if (layout.shape.size() != 1) throw UserError(path + ": expected a 1-D array, got " + std::to_string(layout.shape.size()) + " dimensions");
  auto out = torch::empty({layout.count}, torch::kInt64);
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data()) + layout.data_offset;
  auto* o = out.data_ptr<int64_t>();
  for (int64_t i = 0; i < layout.count; ++i) o[i] = p[2 * i] | (int64_t{p[2 * i + 1]} << 8);
  return out;
}

torch::Tensor map_npy(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) throw UserError("cannot open " + path);
  struct stat st {};
  ::fstat(fd, &st);
  const auto size = static_cast<size_t>(st.st_size);
  if (size < 10) {
    ::close(fd);
    throw UserError(path + " is not a .npy file (too short)");
  }
  void* base = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (base == MAP_FAILED) throw UserError("cannot map " + path);
  NpyLayout layout;
  try {
    layout = parse_npy_header(static_cast<const char*>(base), size, path, "u1", 1);
  } catch (...) {
    ::munmap(base, size);
    throw;
  }
  auto* data = static_cast<char*>(base) + layout.data_offset;
  return torch::from_blob(
      data, layout.shape, [base, size](void*) { ::munmap(base, size); }, torch::TensorOptions().dtype(torch::kUInt8));
}

}  // namespace wgan
