#pragma once
// recv(2) and send(2) without glibc's wrappers. Those are cancellation
// points: in a process with more than one thread (every Cairn server) each
// call marks the thread asynchronously cancellable before the system call
// and back after it, two atomic read-modify-writes and ~60 instructions a
// call pair, on every HTTP request read and every reply written. Cairn never
// cancels a thread, so the listener's per-request calls go to the kernel
// directly. Same results and errno as the wrappers.
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstddef>

namespace cairn::net {

inline ssize_t direct_recv(int fd, void* buffer, std::size_t size, int flags) {
  return ::syscall(SYS_recvfrom, fd, buffer, size, flags, nullptr, nullptr);
}

inline ssize_t direct_send(int fd, const void* data, std::size_t size, int flags) {
  return ::syscall(SYS_sendto, fd, data, size, flags, nullptr, 0);
}

}  // namespace cairn::net
