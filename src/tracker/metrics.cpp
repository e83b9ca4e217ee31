#include "tracker/metrics.hpp"

#include <algorithm>
#include <stdexcept>

namespace cairn::tracker {

void MetricsRegistry::add_row(std::string name, std::string help, MetricRow::Kind kind) {
  const bool taken =
      std::any_of(rows_.begin(), rows_.end(), [&](const MetricRow& r) { return r.name == name; });
  if (taken) throw std::logic_error("metric " + name + " is registered twice");
  rows_.push_back({std::move(name), std::move(help), kind, 0});
}

void MetricsRegistry::add_gauge(std::string name, std::string help,
                                std::function<std::uint64_t()> read) {
  const std::size_t at = rows_.size();
  add_row(std::move(name), std::move(help), MetricRow::Kind::gauge);
  sources_.push_back(
      [at, read = std::move(read)](std::vector<MetricRow>& rows) { rows[at].value = read(); });
}

std::vector<MetricRow> MetricsRegistry::rows() const {
  std::vector<MetricRow> rows = rows_;
  for (const auto& source : sources_) source(rows);
  return rows;
}

void MetricsRegistry::write_prometheus(std::string& out) const {
  for (const MetricRow& r : rows()) {
    const bool counter = r.kind == MetricRow::Kind::counter;
    const std::string name = "cairn_" + r.name + (counter ? "_total" : "");
    // Help texts are ours (no newline or backslash), so they need no escaping.
    out += "# HELP " + name + " " + r.help + "\n";
    out += "# TYPE " + name + (counter ? " counter\n" : " gauge\n");
    out += name + " " + std::to_string(r.value) + "\n";
  }
}

}  // namespace cairn::tracker
