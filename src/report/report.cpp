#include "cachewarm/report/report.hpp"

#include <algorithm>
#include <ctime>

namespace cachewarm::report {

void
ErrorTally::add(const core::Failure& failure)
{
  add(failure.kind, 1, failure.key + ": " + failure.message);
}

void
ErrorTally::add(std::string_view kind, std::uint64_t count, std::string_view sample)
{
  auto found = std::find_if(m_kinds.begin(), m_kinds.end(), [&](const ErrorSummary& summary) {
    return summary.kind == kind;
  });
  if (found == m_kinds.end()) {
    m_kinds.push_back(ErrorSummary{std::string(kind), 0, {}});
    found = std::prev(m_kinds.end());
  }
  found->count += count;
  if (found->samples.size() < k_max_samples && !sample.empty()) {
    found->samples.emplace_back(sample);
  }
}

void
ErrorTally::merge(const ErrorTally& other)
{
  if (&other == this) {
    const ErrorTally copy = other;
    merge(copy);
    return;
  }
  for (const ErrorSummary& summary : other.m_kinds) {
    add(summary.kind, summary.count, {});
    auto found = std::find_if(m_kinds.begin(), m_kinds.end(), [&](const ErrorSummary& mine) {
      return mine.kind == summary.kind;
    });
    for (const std::string& sample : summary.samples) {
      if (found->samples.size() >= k_max_samples) {
        break;
      }
      found->samples.push_back(sample);
    }
  }
}

std::uint64_t
ErrorTally::total() const
{
  std::uint64_t total = 0;
  for (const ErrorSummary& summary : m_kinds) {
    total += summary.count;
  }
  return total;
}

std::vector<ErrorSummary>
ErrorTally::summaries() const
{
  std::vector<ErrorSummary> sorted = m_kinds;
  std::sort(sorted.begin(), sorted.end(), [](const ErrorSummary& a, const ErrorSummary& b) {
    return a.count != b.count ? a.count > b.count : a.kind < b.kind;
  });
  return sorted;
}

void
compute_totals(Report& report)
{
  Totals totals;
  for (const GroupReport& group : report.groups) {
    totals.planned += group.planned;
    totals.written += group.written;
    totals.skipped += group.skipped;
    totals.failed += group.failed;
    totals.bytes += group.bytes;
  }
  const double seconds =
      std::chrono::duration<double>(report.finished_at - report.started_at).count();
  totals.keys_per_sec = seconds > 0.0 ? static_cast<double>(totals.written) / seconds : 0.0;
  report.totals = totals;
}

std::string_view
to_string(Status status)
{
  switch (status) {
  case Status::ok:
    return "ok";
  case Status::partial:
    return "partial";
  case Status::failed:
    return "failed";
  case Status::interrupted:
    return "interrupted";
  }
  return "failed";
}

std::string
format_utc(std::chrono::system_clock::time_point time)
{
  const auto since_epoch = std::chrono::floor<std::chrono::milliseconds>(time.time_since_epoch());
  const auto whole = std::chrono::floor<std::chrono::seconds>(since_epoch);
  const std::time_t seconds = static_cast<std::time_t>(whole.count());
  const long long millis = (since_epoch - whole).count();
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buffer[40];
  const std::size_t length = std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%S", &utc);
  char fraction[24];
  std::snprintf(fraction, sizeof fraction, ".%03lldZ", millis);
  return std::string(buffer, length) + fraction;
}

} // namespace cachewarm::report
