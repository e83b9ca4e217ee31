#include "load/histogram.hpp"

#include <cmath>

namespace cairn::load {

void Histogram::merge(const Histogram& other) {
  for (unsigned i = 0; i < kBuckets; ++i) counts_[i] += other.counts_[i];
  total_ += other.total_;
}

std::uint64_t Histogram::lower_bound(unsigned i) {
  if (i < kLinear) return i;
  unsigned e = (i - kLinear) / kSub + kSubBits + 1, sub = (i - kLinear) % kSub;
  return (std::uint64_t{1} << e) + (std::uint64_t{sub} << (e - kSubBits));
}

std::uint64_t Histogram::percentile(double q) const {
  if (total_ == 0) return 0;
  auto rank = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(total_)));
  if (rank == 0) rank = 1;
  std::uint64_t seen = 0;
  for (unsigned i = 0; i < kBuckets; ++i) {
    seen += counts_[i];
    if (seen < rank) continue;
    if (i < kLinear) return i;
    return (lower_bound(i) + (i + 1 < kBuckets ? lower_bound(i + 1) : lower_bound(i))) / 2;
  }
  return lower_bound(kBuckets - 1);
}

}  // namespace cairn::load
