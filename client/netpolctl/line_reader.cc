#include "client/netpolctl/line_reader.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>

namespace netpol::netpolctl {

LineReader::~LineReader() { free(buffer_); }

bool LineReader::Next(absl::string_view* line) {
  ssize_t length = getline(&buffer_, &capacity_, file_);
  if (length < 0) return false;
  size_t size = static_cast<size_t>(length);
  if (size > 0 && buffer_[size - 1] == '\n') --size;
  if (size > 0 && buffer_[size - 1] == '\r') --size;
  *line = absl::string_view(buffer_, size);
  return true;
}

}  // namespace netpol::netpolctl
