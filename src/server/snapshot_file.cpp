#include "server/snapshot_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

#include "codec/snapshot.hpp"

namespace cairn::server {

namespace {

namespace snap = codec::snapshot;

// Bytes gathered before each write: big enough for few system calls,
// small enough that the encoder never holds much of a large state.
constexpr std::size_t flush_bytes = 1 << 20;

std::string errno_text(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  bool close() {
    const int fd = fd_;
    fd_ = -1;
    return ::close(fd) == 0;
  }

 private:
  int fd_;
};

bool write_all(int fd, std::span<const std::uint8_t> bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes = bytes.subspan(static_cast<std::size_t>(n));
  }
  return true;
}

std::string folder_of(const std::string& path) {
  const auto parent = std::filesystem::path(path).parent_path();
  return parent.empty() ? "." : parent.string();
}

snap::Peer to_record(const store::StoredPeer& p, core::Seconds now) {
  // A worker's clock may run a tick ahead of the caller's.
  const core::Seconds age = p.last_seen < now ? now - p.last_seen : 0;
  return {p.peer.endpoint, p.peer.peer_id, p.seeder, p.completed, age};
}

// Encodes the store into `fd`; false (errno set) if a write failed.
bool write_records(int fd, const store::MemoryStore& store, core::Seconds now,
                   std::uint64_t unix_now, SnapshotSaved& saved) {
  snap::Encoder encoder(unix_now);
  std::vector<snap::Peer> records;
  bool ok = true;
  store.for_each_swarm([&](const core::InfoHash& info_hash, const store::SwarmCounts& counts,
                           std::span<const store::StoredPeer> peers) {
    if (!ok) return;
    records.clear();
    for (const auto& p : peers) records.push_back(to_record(p, now));
    encoder.add({info_hash, counts.downloaded}, records);
    if (encoder.pending().size() >= flush_bytes) {
      ok = write_all(fd, encoder.pending());
      encoder.clear_pending();
    }
  });
  if (!ok) return false;
  encoder.finish();
  saved.torrents = encoder.torrents();
  saved.peers = encoder.peers();
  return write_all(fd, encoder.pending());
}

bool fsync_folder(const std::string& folder) {
  Fd dir(::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  return dir.get() >= 0 && ::fsync(dir.get()) == 0;
}

// The whole file, or an error phrase in `error` (empty `error` and false:
// the file does not exist).
bool read_file(const std::string& path, std::uint64_t max_bytes, std::vector<std::uint8_t>& out,
               std::string& error) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno != ENOENT) error = errno_text("open");
    return false;
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return error = errno_text("stat"), false;
  if (static_cast<std::uint64_t>(st.st_size) > max_bytes)
    return error = std::string(snap::error_text(snap::Error::over_limit)), false;
  out.resize(static_cast<std::size_t>(st.st_size));
  std::size_t got = 0;
  while (got < out.size()) {
    const ssize_t n = ::read(fd.get(), out.data() + got, out.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return error = errno_text("read"), false;
    if (n == 0) break;  // shrank while read: the decoder reports it
    got += static_cast<std::size_t>(n);
  }
  out.resize(got);
  return true;
}

// A torrent's peers still alive after `elapsed` more seconds, with last-seen
// times on the store's clock.
void live_peers(std::span<const snap::Peer> records, std::uint64_t elapsed, core::Seconds now,
                core::Seconds peer_ttl, std::vector<store::StoredPeer>& out,
                SnapshotLoaded& loaded) {
  out.clear();
  for (const auto& r : records) {
    const std::uint64_t age = std::uint64_t{r.age} + elapsed;
    if (age >= peer_ttl || age >= now) {
      ++loaded.expired;
      continue;
    }
    out.push_back({{r.endpoint, r.peer_id}, static_cast<core::Seconds>(now - age), r.seeder,
                   r.completed});
  }
}

}  // namespace

SnapshotSaved save_snapshot(const std::string& path, const store::MemoryStore& store,
                            core::Seconds now, std::uint64_t unix_now) {
  SnapshotSaved saved;
  std::string tmp = path + ".XXXXXX";
  Fd fd(::mkostemp(tmp.data(), O_CLOEXEC));
  if (fd.get() < 0) return saved.error = errno_text("create temporary file"), saved;
  auto fail = [&](const char* what) {
    saved.error = errno_text(what);
    ::unlink(tmp.c_str());
    return saved;
  };
  if (!write_records(fd.get(), store, now, unix_now, saved)) return fail("write");
  if (::fsync(fd.get()) != 0) return fail("fsync");
  if (!fd.close()) return fail("close");
  if (::rename(tmp.c_str(), path.c_str()) != 0) return fail("rename");
  // The rename is durable only once the folder's entry is on disk.
  if (!fsync_folder(folder_of(path))) return saved.error = errno_text("fsync folder"), saved;
  saved.ok = true;
  return saved;
}

SnapshotLoaded load_snapshot(const std::string& path, store::MemoryStore& store, core::Seconds now,
                             std::uint64_t unix_now, core::Seconds peer_ttl) {
  SnapshotLoaded loaded;
  const snap::Limits limits;
  std::vector<std::uint8_t> bytes;
  if (!read_file(path, limits.max_bytes, bytes, loaded.error)) {
    loaded.status = loaded.error.empty() ? SnapshotLoaded::Status::missing
                                         : SnapshotLoaded::Status::unreadable;
    return loaded;
  }
  // Checked before any swarm is touched, so a bad file restores nothing.
  auto frame = snap::decode(bytes, limits, {});
  if (!frame) {
    loaded.status = SnapshotLoaded::Status::unreadable;
    loaded.error = snap::error_text(frame.error());
    return loaded;
  }
  loaded.status = SnapshotLoaded::Status::restored;
  loaded.written_at = frame->written_at;
  // A wall clock set back since the write counts as no downtime.
  const std::uint64_t elapsed = unix_now > frame->written_at ? unix_now - frame->written_at : 0;
  std::vector<store::StoredPeer> live;
  snap::decode(bytes, limits, [&](const snap::Torrent& t, std::span<const snap::Peer> records) {
    live_peers(records, elapsed, now, peer_ttl, live, loaded);
    if (live.empty()) return;
    auto stored = store.restore_swarm(t.info_hash, t.downloaded, live);
    const std::uint32_t n = stored ? *stored : 0;
    loaded.over_limit += live.size() - n;
    loaded.peers += n;
    if (n > 0) ++loaded.torrents;
  });
  return loaded;
}

}  // namespace cairn::server
