#ifndef NETPOL_CLIENT_NETPOLCTL_LINE_READER_H_
#define NETPOL_CLIENT_NETPOLCTL_LINE_READER_H_

#include <cstddef>
#include <cstdio>

#include "absl/strings/string_view.h"

namespace netpol::netpolctl {

// Reads lines from a FILE into one growing buffer, so a line costs no
// allocation. Does not own the FILE.
class LineReader {
 public:
  explicit LineReader(std::FILE* file) : file_(file) {}
  ~LineReader();
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  // The next line without its "\n" or "\r\n", valid until the next call.
  // False at the end of input or on a read error (see failed()).
  bool Next(absl::string_view* line);
  bool failed() const { return std::ferror(file_) != 0; }

 private:
  std::FILE* file_;
  char* buffer_ = nullptr;  // owned by getline(3)'s malloc/realloc
  size_t capacity_ = 0;
};

}  // namespace netpol::netpolctl

#endif  // NETPOL_CLIENT_NETPOLCTL_LINE_READER_H_
