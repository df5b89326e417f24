#include "wgan/data/npy.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

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
  auto fail = [&](const std::string& why) {
    ::munmap(base, size);
    throw UserError(path + ": " + why);
  };
  const char* bytes = static_cast<const char*>(base);
  if (std::string(bytes, 6) != "\x93NUMPY") fail("not a .npy file");
  const int major = bytes[6];
  const size_t len_bytes = major == 1 ? 2 : 4;
  size_t header_len = static_cast<uint8_t>(bytes[8]) | (static_cast<size_t>(static_cast<uint8_t>(bytes[9])) << 8);
  if (len_bytes == 4) {
    header_len |= (static_cast<size_t>(static_cast<uint8_t>(bytes[10])) << 16) |
                  (static_cast<size_t>(static_cast<uint8_t>(bytes[11])) << 24);
  }
  const size_t data_offset = 8 + len_bytes + header_len;
  if (data_offset > size) fail("truncated header");
  const std::string dict(bytes + 8 + len_bytes, header_len);
  if (dict.find("'|u1'") == std::string::npos && dict.find("'u1'") == std::string::npos) fail("dtype is not uint8");
  if (dict.find("'fortran_order': False") == std::string::npos) fail("array is not C-ordered");
  std::smatch m;
  if (!std::regex_search(dict, m, std::regex("'shape': \\(([0-9, ]*)\\)"))) fail("no shape in header");
  std::vector<int64_t> shape;
  int64_t count = 1;
  const std::string dims = m[1];
  const std::regex number("[0-9]+");
  std::sregex_iterator it(dims.begin(), dims.end(), number), end;
  for (; it != end; ++it) {
    shape.push_back(std::stoll(it->str()));
    count *= shape.back();
  }
  if (data_offset + static_cast<size_t>(count) > size) {
    fail("truncated: header declares " + std::to_string(count) + " bytes, file holds " +
         std::to_string(size - data_offset));
  }
  auto* data = const_cast<char*>(bytes) + data_offset;
  return torch::from_blob(
      data, shape, [base, size](void*) { ::munmap(base, size); }, torch::TensorOptions().dtype(torch::kUInt8));
}

}  // namespace wgan
