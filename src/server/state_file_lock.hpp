#pragma once
// Claims the state file for this process before anything is served, so its
// problems stop start-up instead of showing only at the shutdown save:
//  - its folder must exist and be writable (the save writes a temporary file
//    there and renames it over the state file);
//  - no other process may use it: an flock() on FILE.lock, held for the
//    process's lifetime (not on FILE itself, which every save replaces by a
//    new file). FILE.lock stays behind; deleting it while a tracker runs
//    would let a second one in, so it is never removed;
//  - an existing FILE must be a Cairn state file, or it would be overwritten
//    at the first save. A damaged Cairn state file passes: restoring it
//    fails, is logged, and the tracker starts empty.
#include <string>

namespace cairn::server {

class StateFileLock {
 public:
  // Throws std::runtime_error, one line naming the file and what to do.
  explicit StateFileLock(const std::string& path);
  ~StateFileLock();
  StateFileLock(const StateFileLock&) = delete;
  StateFileLock& operator=(const StateFileLock&) = delete;

  static std::string lock_path(const std::string& path) { return path + ".lock"; }

 private:
  int fd_ = -1;
};

}  // namespace cairn::server
