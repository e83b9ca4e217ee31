#pragma once
// The metrics registry: every worker's counter blocks (tracker/counters.hpp)
// and the stores' own numbers, read as (name, help, value) rows. A worker
// writes only its own blocks, with plain relaxed stores; the registry sums
// the blocks of every worker when it is read, so the hot path shares no
// cache line and takes no atomic read-modify-write. Rows may carry labels
// (of a fixed set: bounded cardinality) and histograms; the admin
// listener's routes expose them: write_prometheus() and write_json().
#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cairn::tracker {

// Written by one thread (bump), read by any (value).
using Counter = std::atomic<std::uint64_t>;

inline void bump(Counter& c) {
  c.store(c.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
}

// A label's name and value, both ours: from fixed tables, never from a
// client, so the cardinality stays bounded and nothing needs escaping.
using MetricLabel = std::pair<std::string, std::string>;

struct MetricRow {
  // counter: only grows; gauge: a current amount; histogram: observations
  // in buckets (value is their count).
  enum class Kind { counter, gauge, histogram };
  std::string name;  // e.g. "udp_announces"; labeled rows share one name
  std::string help;
  Kind kind = Kind::counter;
  std::uint64_t value = 0;
  std::vector<MetricLabel> labels;  // none for most rows
  // The value is value / divisor in the metric's unit (a duration kept in
  // microseconds, exposed in seconds: 1e6).
  double divisor = 1;
  // Histograms: each bucket's upper bound (the last, +Inf, is implied),
  // the observations in each bucket (not cumulative; one more than bounds)
  // and their sum (in the unit of the bounds).
  std::vector<double> bounds;
  std::vector<std::uint64_t> buckets;
  double sum = 0;
};

class MetricsRegistry {
 public:
  // Registers one block type, one instance per worker, under `prefix`: a
  // row "<prefix>_<field>" per field the block's each() names, its value
  // the sum over `blocks`. Each block must outlive the registry. Throws
  // std::logic_error if a name is taken already.
  template <typename Block>
  void add_blocks(std::string_view prefix, std::vector<const Block*> blocks) {
    const std::size_t first = rows_.size();
    const Block names;  // the field list, without any worker's values
    names.each([&](const char* field, const char* help, const Counter&) {
      add_row(make_row(std::string(prefix) + "_" + field, help, MetricRow::Kind::counter));
    });
    sources_.push_back([first, blocks = std::move(blocks)](std::vector<MetricRow>& rows) {
      for (const Block* b : blocks) {
        std::size_t i = first;
        b->each([&](const char*, const char*, const Counter& c) {
          rows[i++].value += c.load(std::memory_order_relaxed);
        });
      }
    });
  }

  // A number read when the rows are read (a store's torrents, peers).
  // `read` must be safe to call from any thread.
  void add_gauge(std::string name, std::string help, std::function<std::uint64_t()> read);
  // A labeled row of `kind` (counter or gauge): one of the rows named
  // `name`, told apart by their labels, which must share the help text.
  // `divisor` as in MetricRow.
  void add_labeled(std::string name, std::vector<MetricLabel> labels, std::string help,
                   MetricRow::Kind kind, std::function<std::uint64_t()> read, double divisor = 1);
  // A histogram row: `read` fills the row's buckets (bounds.size() + 1 of
  // them) and sum; its value becomes their total.
  void add_histogram(std::string name, std::vector<MetricLabel> labels, std::string help,
                     std::vector<double> bounds, std::function<void(MetricRow&)> read);

  // Every row, in registration order, summed now. Blocks are read while
  // their workers write them: each value is a recent one, not a snapshot.
  std::vector<MetricRow> rows() const;

  // The rows in the Prometheus text format (0.0.4), appended to `out`:
  // names prefixed "cairn_", counters suffixed "_total"; rows of one name
  // together under one HELP and TYPE, histograms with cumulative buckets.
  void write_prometheus(std::string& out) const;
  // The same rows as one JSON object, appended to `out`: an unlabeled row
  // is "name": value; the rows of a labeled name are "name": [{labels...,
  // "value": v}]; a histogram is {"bounds", "buckets" (not cumulative),
  // "sum", "count"}, under "histogram" instead of "value" when labeled.
  void write_json(std::string& out) const;

 private:
  static MetricRow make_row(std::string name, std::string help, MetricRow::Kind kind) {
    MetricRow row;
    row.name = std::move(name);
    row.help = std::move(help);
    row.kind = kind;
    return row;
  }
  std::size_t add_row(MetricRow row);

  std::vector<MetricRow> rows_;  // names, help and kinds; values zero
  std::vector<std::function<void(std::vector<MetricRow>&)>> sources_;
};

}  // namespace cairn::tracker
