#include "tracker/metrics.hpp"

#include <algorithm>
#include <cstdio>
#include <stdexcept>

namespace cairn::tracker {

namespace {

std::string number(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.9g", v);
  return text;
}

std::string value_text(const MetricRow& r) {
  if (r.divisor == 1) return std::to_string(r.value);
  return number(static_cast<double>(r.value) / r.divisor);
}

std::string exposed_name(const MetricRow& r) {
  return "cairn_" + r.name + (r.kind == MetricRow::Kind::counter ? "_total" : "");
}

const char* type_of(MetricRow::Kind kind) {
  switch (kind) {
    case MetricRow::Kind::counter:
      return "counter";
    case MetricRow::Kind::gauge:
      return "gauge";
    case MetricRow::Kind::histogram:
      return "histogram";
  }
  return "untyped";
}

// {a="x",b="y"} with `extra` (le="...") last; "" when there is nothing.
std::string label_set(const std::vector<MetricLabel>& labels, const std::string& extra = "") {
  std::string out;
  for (const auto& [k, v] : labels) {
    if (!out.empty()) out += ',';
    out += k + "=\"" + v + "\"";
  }
  if (!extra.empty()) {
    if (!out.empty()) out += ',';
    out += extra;
  }
  return out.empty() ? out : "{" + out + "}";
}

void write_histogram(const MetricRow& r, const std::string& name, std::string& out) {
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < r.buckets.size(); ++i) {
    cumulative += r.buckets[i];
    const std::string le = i < r.bounds.size() ? number(r.bounds[i]) : "+Inf";
    out += name + "_bucket" + label_set(r.labels, "le=\"" + le + "\"") + " " +
           std::to_string(cumulative) + "\n";
  }
  out += name + "_sum" + label_set(r.labels) + " " + number(r.sum) + "\n";
  out += name + "_count" + label_set(r.labels) + " " + std::to_string(cumulative) + "\n";
}

// The rows' order with every name's rows moved up to its first row, so a
// name's samples are one group (the text format requires it).
std::vector<const MetricRow*> grouped(const std::vector<MetricRow>& rows) {
  std::vector<const MetricRow*> out;
  std::vector<bool> taken(rows.size(), false);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (taken[i]) continue;
    for (std::size_t j = i; j < rows.size(); ++j) {
      if (taken[j] || rows[j].name != rows[i].name) continue;
      taken[j] = true;
      out.push_back(&rows[j]);
    }
  }
  return out;
}

void json_labels(const MetricRow& r, std::string& out) {
  for (const auto& [k, v] : r.labels) out += "\"" + k + "\":\"" + v + "\",";
}

void json_entry(const MetricRow& r, std::string& out) {
  if (r.kind != MetricRow::Kind::histogram) {
    out += value_text(r);
    return;
  }
  out += "{\"bounds\":[";
  // Appended piece by piece: GCC 12 warns (-Wrestrict, wrongly) on
  // `literal + std::string` here.
  for (std::size_t i = 0; i < r.bounds.size(); ++i) {
    if (i) out += ',';
    out += number(r.bounds[i]);
  }
  out += "],\"buckets\":[";
  for (std::size_t i = 0; i < r.buckets.size(); ++i) {
    if (i) out += ',';
    out += std::to_string(r.buckets[i]);
  }
  out += "],\"sum\":" + number(r.sum) + ",\"count\":" + std::to_string(r.value) + "}";
}

}  // namespace

std::size_t MetricsRegistry::add_row(MetricRow row) {
  for (const MetricRow& r : rows_) {
    if (r.name != row.name) continue;
    if (r.labels == row.labels)
      throw std::logic_error("metric " + row.name + label_set(row.labels) + " is registered twice");
    if (r.kind != row.kind || r.labels.empty() || row.labels.empty())
      throw std::logic_error("metric " + row.name +
                             ": rows of one name must all be labeled, and of one kind");
  }
  rows_.push_back(std::move(row));
  return rows_.size() - 1;
}

void MetricsRegistry::add_gauge(std::string name, std::string help,
                                std::function<std::uint64_t()> read) {
  add_labeled(std::move(name), {}, std::move(help), MetricRow::Kind::gauge, std::move(read));
}

void MetricsRegistry::add_labeled(std::string name, std::vector<MetricLabel> labels,
                                  std::string help, MetricRow::Kind kind,
                                  std::function<std::uint64_t()> read, double divisor) {
  MetricRow row = make_row(std::move(name), std::move(help), kind);
  row.labels = std::move(labels);
  row.divisor = divisor;
  const std::size_t at = add_row(std::move(row));
  sources_.push_back(
      [at, read = std::move(read)](std::vector<MetricRow>& rows) { rows[at].value = read(); });
}

void MetricsRegistry::add_histogram(std::string name, std::vector<MetricLabel> labels,
                                    std::string help, std::vector<double> bounds,
                                    std::function<void(MetricRow&)> read) {
  MetricRow row = make_row(std::move(name), std::move(help), MetricRow::Kind::histogram);
  row.labels = std::move(labels);
  row.buckets.assign(bounds.size() + 1, 0);
  row.bounds = std::move(bounds);
  const std::size_t at = add_row(std::move(row));
  sources_.push_back([at, read = std::move(read)](std::vector<MetricRow>& rows) {
    MetricRow& r = rows[at];
    read(r);
    r.value = 0;
    for (std::uint64_t b : r.buckets) r.value += b;
  });
}

std::vector<MetricRow> MetricsRegistry::rows() const {
  std::vector<MetricRow> rows = rows_;
  for (const auto& source : sources_) source(rows);
  return rows;
}

void MetricsRegistry::write_prometheus(std::string& out) const {
  const std::vector<MetricRow> all = rows();
  const MetricRow* previous = nullptr;
  for (const MetricRow* r : grouped(all)) {
    const std::string name = exposed_name(*r);
    // Help texts are ours (no newline or backslash), so they need no escaping.
    if (!previous || previous->name != r->name) {
      out += "# HELP " + name + " " + r->help + "\n";
      out += "# TYPE " + name + " " + type_of(r->kind) + "\n";
    }
    previous = r;
    if (r->kind == MetricRow::Kind::histogram)
      write_histogram(*r, name, out);
    else
      out += name + label_set(r->labels) + " " + value_text(*r) + "\n";
  }
}

void MetricsRegistry::write_json(std::string& out) const {
  const std::vector<MetricRow> all = rows();
  out += "{";
  const MetricRow* previous = nullptr;
  for (const MetricRow* r : grouped(all)) {
    const bool first_of_name = !previous || previous->name != r->name;
    if (first_of_name && previous && !previous->labels.empty()) out += "]";
    if (previous) out += ",";
    if (first_of_name) out += "\"" + r->name + "\":";
    previous = r;
    if (r->labels.empty()) {
      json_entry(*r, out);
      continue;
    }
    if (first_of_name) out += "[";
    out += "{";
    json_labels(*r, out);
    out += r->kind == MetricRow::Kind::histogram ? "\"histogram\":" : "\"value\":";
    json_entry(*r, out);
    out += "}";
  }
  if (previous && !previous->labels.empty()) out += "]";
  out += "}";
}

}  // namespace cairn::tracker
