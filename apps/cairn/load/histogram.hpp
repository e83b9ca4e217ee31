#pragma once
// Latency histogram with log-linear buckets (HdrHistogram's idea): exact
// below 64 us, then 32 sub-buckets per power of two, so any percentile is
// within about 3 % while recording costs a shift and an increment.
#include <array>
#include <bit>
#include <cstdint>

namespace cairn::load {

class Histogram {
 public:
  static constexpr unsigned kSubBits = 5;
  static constexpr unsigned kSub = 1u << kSubBits;  // 32
  static constexpr unsigned kLinear = 2 * kSub;     // 0..63 exact
  static constexpr unsigned kMaxExponent = 40;      // ~12 days in us: plenty
  static constexpr unsigned kBuckets = kLinear + (kMaxExponent - kSubBits) * kSub;

  void record(std::uint64_t us) {
    ++counts_[index(us)];
    ++total_;
  }
  void merge(const Histogram& other);
  void clear() { *this = Histogram{}; }
  std::uint64_t count() const { return total_; }
  // The value below which `q` (0..1) of the samples fall, as the middle of
  // its bucket; 0 when empty.
  std::uint64_t percentile(double q) const;

 private:
  static unsigned index(std::uint64_t v) {
    if (v < kLinear) return static_cast<unsigned>(v);
    unsigned e = static_cast<unsigned>(std::bit_width(v)) - 1;  // >= kSubBits + 1
    if (e >= kMaxExponent) return kBuckets - 1;
    return kLinear + (e - kSubBits - 1) * kSub +
           static_cast<unsigned>((v >> (e - kSubBits)) & (kSub - 1));
  }
  static std::uint64_t lower_bound(unsigned i);

  std::array<std::uint64_t, kBuckets> counts_{};
  std::uint64_t total_ = 0;
};

}  // namespace cairn::load
