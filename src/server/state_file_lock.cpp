#include "server/state_file_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "codec/snapshot.hpp"

namespace cairn::server {

namespace {

[[noreturn]] void fail(const std::string& text) { throw std::runtime_error(text); }

std::string folder_of(const std::string& path) {
  const auto parent = std::filesystem::path(path).parent_path();
  return parent.empty() ? "." : parent.string();
}

void check_folder(const std::string& path, const std::string& folder) {
  struct stat st {};
  if (::stat(folder.c_str(), &st) != 0)
    fail("state file " + path + ": folder " + folder + ": " + std::strerror(errno) +
         "; create it or choose another path");
  if (!S_ISDIR(st.st_mode)) fail("state file " + path + ": " + folder + " is not a folder");
}

// The lock file's descriptor, locked; throws if another process holds it.
int lock(const std::string& path, const std::string& folder) {
  const std::string lock = StateFileLock::lock_path(path);
  const int fd = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    fail("state file " + path + ": cannot create " + lock + ": " + std::strerror(errno) +
         "; the folder " + folder + " must be writable by this user");
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    ::close(fd);
    if (error == EWOULDBLOCK)
      fail("state file " + path + " is in use by another process (it holds " + lock +
           "); give each tracker a state file of its own");
    fail("state file " + path + ": cannot lock " + lock + ": " + std::strerror(error));
  }
  return fd;
}

// Creates and removes the kind of temporary file every save writes.
void check_writable(const std::string& path, const std::string& folder) {
  std::string probe = path + ".XXXXXX";
  const int fd = ::mkostemp(probe.data(), O_CLOEXEC);
  if (fd < 0)
    fail("state file " + path + " cannot be saved: cannot create a file in " + folder + ": " +
         std::strerror(errno));
  ::close(fd);
  ::unlink(probe.c_str());
}

// An existing file must be one a save may replace.
void check_existing(const std::string& path) {
  // Non-blocking, so a FIFO at the path is refused rather than waited on.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0 && errno == ENOENT) return;  // a first start
  if (fd < 0) fail("state file " + path + " cannot be read: " + std::strerror(errno));
  struct stat st {};
  std::array<std::uint8_t, codec::snapshot::magic.size()> head{};
  ssize_t n = -1;
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) n = ::read(fd, head.data(), head.size());
  const int error = errno;
  ::close(fd);
  if (!S_ISREG(st.st_mode)) fail(path + " is not a regular file; choose another path");
  if (n < 0) fail("state file " + path + " cannot be read: " + std::strerror(error));
  if (!codec::snapshot::has_magic_prefix({head.data(), static_cast<std::size_t>(n)}))
    fail(path + " is not a Cairn state file; move it away or choose another path");
}

}  // namespace

StateFileLock::StateFileLock(const std::string& path) {
  const std::string folder = folder_of(path);
  check_folder(path, folder);
  fd_ = lock(path, folder);
  try {
    check_writable(path, folder);
    check_existing(path);
  } catch (...) {
    ::close(fd_);
    throw;
  }
}

StateFileLock::~StateFileLock() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace cairn::server
