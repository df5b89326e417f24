#include "wgan/io/zip_records.h"

#include "wgan/util/error.h"
#include "wgan/util/printable.h"

#if WGAN_HAVE_LIBARCHIVE
#include <archive.h>
#include <archive_entry.h>

#include <memory>
#include <vector>
#endif

namespace wgan {

#if WGAN_HAVE_LIBARCHIVE

bool zip_records_checkable() { return true; }

ZipRecordsSummary verify_zip_records(const std::string& path, const std::string& what) {
  std::unique_ptr<archive, decltype(&archive_read_free)> reader(archive_read_new(), archive_read_free);
  // The seekable reader follows the central directory, as LibTorch's reader does, so every record
  // LibTorch could load is one this reads.
  archive_read_support_format_zip_seekable(reader.get());
  const auto damaged = [&](const std::string& why) {
    return UserError(what + " " + path + " is damaged: " + why +
                     " (the file changed after it was written: restore it from a copy, or use an older one)");
  };
  const auto reason = [&] {
    const char* text = archive_error_string(reader.get());
    return printable(text ? text : "unknown error", 120);
  };
  if (archive_read_open_filename(reader.get(), path.c_str(), 1 << 16) != ARCHIVE_OK)
    throw damaged("it cannot be opened as a zip archive: " + reason());
  ZipRecordsSummary summary;
  std::vector<char> buffer(1 << 16);
  archive_entry* entry = nullptr;
  int status;
  // ARCHIVE_WARN counts as damage too: it is how libarchive reports a bad CRC.
  while ((status = archive_read_next_header(reader.get(), &entry)) == ARCHIVE_OK) {
    const char* name_text = archive_entry_pathname(entry);
    const std::string name = printable(name_text ? name_text : "?");
    la_ssize_t got;
    while ((got = archive_read_data(reader.get(), buffer.data(), buffer.size())) > 0) summary.bytes += got;
    if (got < 0) throw damaged("record " + name + ": " + reason());
    ++summary.records;
  }
  if (status != ARCHIVE_EOF)
    throw damaged("after " + std::to_string(summary.records) + " intact records: " + reason());
  if (summary.records == 0) throw damaged("it holds no records");
  return summary;
}

#else

bool zip_records_checkable() { return false; }

ZipRecordsSummary verify_zip_records(const std::string&, const std::string&) { return {}; }

#endif

}  // namespace wgan
