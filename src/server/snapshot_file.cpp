#include "server/snapshot_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <limits>
#include <stdexcept>
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

// Seconds from `from` until `to`; 0 if `to` is not later (a worker's
// clock may run a tick ahead of the caller's).
core::Seconds seconds_until(core::Seconds from, core::Seconds to) {
  return to > from ? to - from : 0;
}

snap::Peer to_record(const store::StoredPeer& p, core::Seconds now) {
  return {p.peer.endpoint, p.peer.peer_id, p.seeder, p.completed, seconds_until(p.last_seen, now)};
}

snap::Record to_record(const store::StoredRecord& r, core::Seconds now) {
  return {r.id,
          r.source,
          r.seq,
          r.signature,
          seconds_until(r.registered, now),
          seconds_until(now, r.expires_at),
          r.body};
}

snap::Tombstone to_record(const store::RecordTombstone& t, core::Seconds now) {
  return {t.id, t.seq, seconds_until(now, t.until)};
}

template <class Out, class In>
void to_records(std::span<const In> in, core::Seconds now, std::vector<Out>& out) {
  out.clear();
  for (const In& entry : in) out.push_back(to_record(entry, now));
}

// Encodes both stores into `fd`; false (errno set) if a write failed.
bool write_records(int fd, const store::SwarmSnapshots& store,
                   const store::RecordSnapshots& record_store, core::Seconds now,
                   std::uint64_t unix_now, SnapshotSaved& saved) {
  snap::Encoder encoder(unix_now);
  bool ok = true;
  // Writes what the encoder holds once it is `at_least` bytes.
  auto flush = [&](std::size_t at_least) {
    if (!ok || encoder.pending().size() < at_least) return;
    ok = write_all(fd, encoder.pending());
    encoder.clear_pending();
  };
  std::vector<snap::Peer> peers_out;
  store.for_each_swarm([&](const core::InfoHash& info_hash, const store::SwarmCounts& counts,
                           std::span<const store::StoredPeer> peers) {
    if (!ok) return;
    to_records(peers, now, peers_out);
    encoder.add({info_hash, counts.downloaded}, peers_out);
    flush(flush_bytes);
  });
  std::vector<snap::Record> records_out;
  std::vector<snap::Tombstone> tombstones_out;
  record_store.for_each([&](const core::TopicId& topic,
                            std::span<const store::StoredRecord> records,
                            std::span<const store::RecordTombstone> tombstones) {
    if (!ok) return;
    to_records(records, now, records_out);
    to_records(tombstones, now, tombstones_out);
    encoder.add_topic(topic, records_out, tombstones_out);
    flush(flush_bytes);
  });
  if (!ok) return false;
  encoder.finish();
  saved.torrents = encoder.torrents();
  saved.peers = encoder.peers();
  saved.topics = encoder.topics();
  saved.records = encoder.records();
  saved.tombstones = encoder.tombstones();
  flush(0);
  return ok;
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
    out.push_back(
        {{r.endpoint, r.peer_id}, static_cast<core::Seconds>(now - age), r.seeder, r.completed});
  }
}

// When a lifetime with `remaining` seconds at writing ends on the store's
// clock, `elapsed` seconds of downtime later; 0 if the downtime used it up.
core::Seconds ends_at(core::Seconds now, std::uint32_t remaining, std::uint64_t elapsed) {
  if (remaining <= elapsed) return 0;
  const std::uint64_t at = now + (remaining - elapsed);
  return static_cast<core::Seconds>(
      std::min<std::uint64_t>(at, std::numeric_limits<core::Seconds>::max()));
}

// A topic's records still alive after `elapsed` more seconds, with times on
// the store's clock: both moved back by the downtime, the registration
// clamped at the clock's zero.
void live_records(std::span<const snap::Record> records, std::uint64_t elapsed, core::Seconds now,
                  std::vector<store::StoredRecord>& out, SnapshotLoaded& loaded) {
  out.clear();
  for (const auto& r : records) {
    const core::Seconds expires_at = ends_at(now, r.remaining, elapsed);
    if (expires_at == 0) {
      ++loaded.records_expired;
      continue;
    }
    const std::uint64_t age = std::uint64_t{r.age} + elapsed;
    const core::Seconds registered = age < now ? static_cast<core::Seconds>(now - age) : 0;
    out.push_back({r.id, r.source, r.body, r.seq, r.signature, registered, expires_at, 0});
  }
}

void live_tombstones(std::span<const snap::Tombstone> tombstones, std::uint64_t elapsed,
                     core::Seconds now, std::vector<store::RecordTombstone>& out) {
  out.clear();
  for (const auto& t : tombstones) {
    const core::Seconds until = ends_at(now, t.remaining, elapsed);
    if (until != 0) out.push_back({t.id, t.seq, until});
  }
}

}  // namespace

SnapshotSaved save_snapshot(const std::string& path, const store::SwarmSnapshots& store,
                            const store::RecordSnapshots& records, core::Seconds now,
                            std::uint64_t unix_now) {
  SnapshotSaved saved;
  std::string tmp = path + ".XXXXXX";
  Fd fd(::mkostemp(tmp.data(), O_CLOEXEC));
  if (fd.get() < 0) return saved.error = errno_text("create temporary file"), saved;
  auto fail = [&](const char* what) {
    saved.error = errno_text(what);
    ::unlink(tmp.c_str());
    return saved;
  };
  if (!write_records(fd.get(), store, records, now, unix_now, saved)) return fail("write");
  if (::fsync(fd.get()) != 0) return fail("fsync");
  if (!fd.close()) return fail("close");
  if (::rename(tmp.c_str(), path.c_str()) != 0) return fail("rename");
  // The rename is durable only once the folder's entry is on disk.
  if (!fsync_folder(folder_of(path))) return saved.error = errno_text("fsync folder"), saved;
  saved.ok = true;
  return saved;
}

SnapshotLoaded load_snapshot(const std::string& path, store::SwarmSnapshots& store,
                             store::RecordSnapshots& records, core::Seconds now,
                             std::uint64_t unix_now, core::Seconds peer_ttl) {
  SnapshotLoaded loaded;
  const snap::Limits limits;
  std::vector<std::uint8_t> bytes;
  if (!read_file(path, limits.max_bytes, bytes, loaded.error)) {
    loaded.status =
        loaded.error.empty() ? SnapshotLoaded::Status::missing : SnapshotLoaded::Status::unreadable;
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
  auto restore_torrent = [&](const snap::Torrent& t, std::span<const snap::Peer> peers) {
    live_peers(peers, elapsed, now, peer_ttl, live, loaded);
    if (live.empty()) return;
    auto stored = store.restore_swarm(t.info_hash, t.downloaded, live);
    const std::uint32_t n = stored ? *stored : 0;
    loaded.over_limit += live.size() - n;
    loaded.peers += n;
    if (n > 0) ++loaded.torrents;
  };
  std::vector<store::StoredRecord> live_rs;
  std::vector<store::RecordTombstone> live_ts;
  auto restore_topic = [&](const core::TopicId& topic, std::span<const snap::Record> rs,
                           std::span<const snap::Tombstone> ts) {
    live_records(rs, elapsed, now, live_rs, loaded);
    live_tombstones(ts, elapsed, now, live_ts);
    auto stored = records.restore(topic, live_rs, live_ts);
    const std::uint32_t n = stored ? *stored : 0;
    loaded.records_over_limit += live_rs.size() - n;
    loaded.records += n;
    if (n > 0) ++loaded.topics;
  };
  snap::decode(bytes, limits, restore_torrent, restore_topic);
  return loaded;
}

void require_snapshots(store::PeerStore& store, store::RecordStore& records,
                       std::string_view backend) {
  if (store.snapshots() != nullptr && records.snapshots() != nullptr) return;
  throw std::runtime_error("server.state_file (--state) is set, but store.backend \"" +
                           std::string(backend) +
                           "\" keeps its state outside this process, which has none to save; "
                           "remove server.state_file, or use store.backend \"memory\"");
}

}  // namespace cairn::server
