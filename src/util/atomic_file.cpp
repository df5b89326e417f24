#include "wgan/util/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "wgan/util/error.h"

namespace fs = std::filesystem;

namespace wgan {
namespace {

std::string temp_path_for(const std::string& path) {
  return path + ".tmp." + std::to_string(::getpid());
}

// fsync so that the rename never exposes a file whose data is not yet on disk.
void sync_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

}  // namespace

void write_atomic_with(const std::string& path, const std::function<void(const std::string&)>& writer) {
  const std::string tmp = temp_path_for(path);
  try {
    writer(tmp);
    sync_file(tmp);
    std::error_code ec;
    fs::rename(tmp, path, ec);
    if (ec) throw UserError("cannot write " + path + ": " + ec.message());
  } catch (...) {
    std::error_code ignored;
    fs::remove(tmp, ignored);
    throw;
  }
}

void write_file_atomic(const std::string& path, const std::string& contents) {
  write_atomic_with(path, [&](const std::string& tmp) {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw UserError("cannot write " + path + ": " + std::strerror(errno));
    out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
    out.flush();
    if (!out) throw UserError("cannot write " + path + ": " + std::strerror(errno));
  });
}

void append_line(const std::string& path, const std::string& line) {
  std::ofstream out(path, std::ios::binary | std::ios::app);
  if (!out) throw UserError("cannot append to " + path + ": " + std::strerror(errno));
  out << line << '\n';
  out.flush();
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UserError("cannot read " + path + ": " + std::strerror(errno));
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

void ensure_writable_dir(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw UserError("cannot create directory " + dir + ": " + ec.message());
  if (!fs::is_directory(dir)) throw UserError("not a directory: " + dir);
  if (::access(dir.c_str(), W_OK) != 0) throw UserError("directory is not writable: " + dir);
}

}  // namespace wgan
