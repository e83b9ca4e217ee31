#pragma once
// The HTTP connection cap holds only if every listener's connections fit in
// the process's open-files limit. Past the limit accept() fails with EMFILE:
// the acceptor retries at once and spins, new clients wait in the backlog
// instead of being refused, and the state file cannot be written. So at
// start the soft limit is raised to the hard one, and a cap that still does
// not fit is lowered to one that does.
#include <cstddef>
#include <cstdint>

namespace cairn::server {

// Raises RLIMIT_NOFILE's soft limit to its hard limit (where the kernel
// allows) and returns the soft limit now in force.
std::uint64_t raise_open_files_limit();

// The most HTTP connections (http.max_connections: all listeners together)
// that fit in `open_files` descriptors, after those the process needs
// besides: sockets, each worker's event fds, stdio, state and access-list
// files.
std::size_t connections_that_fit(std::uint64_t open_files, std::size_t workers,
                                 std::size_t addresses);

}  // namespace cairn::server
