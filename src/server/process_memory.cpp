#include "server/process_memory.hpp"

#include <fcntl.h>
#include <malloc.h>
#include <unistd.h>

#include <charconv>

namespace cairn::server {

std::uint64_t resident_bytes() {
  // Opened once and re-read with pread: one system call per measurement.
  static const int fd = ::open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
  char text[128];
  const ssize_t n = fd < 0 ? -1 : ::pread(fd, text, sizeof text - 1, 0);
  if (n <= 0) return 0;
  // "size resident shared text lib data dt", in pages.
  const char* p = text;
  const char* end = text + n;
  while (p < end && *p != ' ') ++p;
  std::uint64_t pages = 0;
  if (p == end || std::from_chars(p + 1, end, pages).ec != std::errc{}) return 0;
  return pages * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
}

void release_free_memory() { ::malloc_trim(0); }

void use_one_malloc_arena() { ::mallopt(M_ARENA_MAX, 1); }

}  // namespace cairn::server
