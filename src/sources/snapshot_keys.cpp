// Snapshot files: writing their lines (for cachewarm snapshot) and reading them back as a key
// source (keys_from: {snapshot: FILE}) with the restore value resolver.

#include "key_lists_detail.hpp"

#include "cachewarm/core/base64.hpp"
#include "cachewarm/core/log.hpp"
#include "cachewarm/sources/snapshot.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <utility>

namespace cachewarm::sources {

namespace {

using nlohmann::json;

constexpr int k_format_version = 1;

// 2026-12-02T16:40:00.123Z
std::string
iso8601_ms(std::int64_t unix_ms)
{
  const std::time_t seconds = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[40];
  const std::size_t n = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &tm);
  char millis[8];
  std::snprintf(millis, sizeof millis, ".%03dZ", static_cast<int>(unix_ms % 1000));
  return std::string(text, n) + millis;
}

const char*
score_name(std::string_view ranked_by)
{
  return ranked_by == "lfu_freq" ? "freq" : "idle_s";
}

// `value` as an int64 when `object[name]` is an integer; else nullopt.
std::optional<std::int64_t>
integer_member(const json& object, const char* name)
{
  const auto found = object.find(name);
  if (found == object.end() || !found->is_number_integer()) {
    return std::nullopt;
  }
  return found->get<std::int64_t>();
}

std::optional<std::string>
string_member(const json& object, const char* name)
{
  const auto found = object.find(name);
  if (found == object.end() || !found->is_string()) {
    return std::nullopt;
  }
  return found->get<std::string>();
}

class SnapshotKeys final : public KeySource {
public:
  SnapshotKeys(detail::LineReader reader, SnapshotHeader header, SnapshotKeysOptions options)
      : m_reader(std::move(reader))
      , m_header(std::move(header))
      , m_options(options)
  {}

  const std::vector<std::string>& fields() const override { return m_fields; }

  core::Result<bool>
  next(std::size_t max, std::vector<core::Row>& rows, std::vector<core::Failure>& failures) override
  {
    (void)failures; // a bad line fails the whole source: the file is not what it claims to be
    std::size_t added = 0;
    while (added < max) {
      CW_TRY_ASSIGN(std::optional<detail::Line> line, m_reader.next());
      if (!line) {
        if (m_expired > 0) {
          core::log(core::LogLevel::info,
                    m_reader.origin() + ": " + std::to_string(m_expired)
                        + " keys expired since the snapshot was taken; not restored");
          m_expired = 0;
        }
        return false;
      }
      const std::string_view text = detail::without_cr(line->text);
      if (text.empty()) {
        continue;
      }
      if (line->too_long) {
        return bad_line(line->number, detail::too_long_reason());
      }
      core::Result<SnapshotKey> key = parse_snapshot_key(text, m_header.ranked_by);
      if (!key) {
        return bad_line(line->number, key.error().message);
      }
      std::int64_t ttl = key->ttl_ms;
      if (m_options.restore) {
        if (!key->dump) {
          return bad_line(line->number, "no \"dump\" (the header says the snapshot has values)");
        }
        if (ttl > 0) {
          ttl -= m_options.now_ms - m_header.taken_at_ms;
          if (ttl <= 0) {
            ++m_expired;
            continue;
          }
        }
      }
      core::Row row;
      row.key = std::move(key->key);
      row.fields.emplace_back(std::to_string(key->score));
      row.fields.emplace_back(std::to_string(ttl));
      if (m_options.restore) {
        row.fields.emplace_back(std::move(*key->dump));
      } else {
        row.fields.emplace_back(std::nullopt);
      }
      rows.push_back(std::move(row));
      ++added;
    }
    return true;
  }

private:
  core::Result<bool> bad_line(std::uint64_t number, const std::string& reason) const
  {
    return core::fail(core::Errc::source,
                      m_reader.origin() + ":" + std::to_string(number) + ": " + reason);
  }

  detail::LineReader m_reader;
  SnapshotHeader m_header;
  SnapshotKeysOptions m_options;
  std::vector<std::string> m_fields{"score", "ttl_ms", "dump"};
  std::uint64_t m_expired = 0;
};

class RestoreValue final : public ValueResolver {
public:
  RestoreValue(std::size_t ttl_index, std::size_t dump_index)
      : m_ttl(ttl_index)
      , m_dump(dump_index)
  {}

  core::Result<void> resolve(std::span<core::Row> rows,
                             std::vector<core::Entry>& entries,
                             std::vector<core::Failure>& failures) override
  {
    for (core::Row& row : rows) {
      std::optional<std::string>& dump = row.fields[m_dump];
      if (!dump) {
        failures.push_back(core::Failure{row.key, "not_found", "the snapshot holds no value"});
        continue;
      }
      const std::int64_t ttl = row.fields[m_ttl] ? std::stoll(*row.fields[m_ttl]) : -1;
      core::Entry entry;
      entry.key = std::move(row.key);
      entry.value = core::DumpValue{std::move(*dump)};
      entry.ttl = std::chrono::milliseconds(ttl > 0 ? ttl : 0);
      entries.push_back(std::move(entry));
    }
    return {};
  }

private:
  std::size_t m_ttl;
  std::size_t m_dump;
};

} // namespace

std::string
snapshot_header_line(const SnapshotHeader& header)
{
  const json object = {{"cachewarm_snapshot", k_format_version},
                       {"target", header.target},
                       {"server", header.server},
                       {"taken_at", iso8601_ms(header.taken_at_ms)},
                       {"taken_at_ms", header.taken_at_ms},
                       {"ranked_by", header.ranked_by},
                       {"maxmemory_policy", header.maxmemory_policy},
                       {"keys_in_db", header.keys_in_db},
                       {"examined", header.examined},
                       {"sampled", header.sampled},
                       {"match", header.match},
                       {"values", header.values}};
  return object.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

std::string
snapshot_key_line(const SnapshotKey& key, std::string_view ranked_by)
{
  json object = {{"key", key.key}};
  object[score_name(ranked_by)] = key.score;
  object["ttl_ms"] = key.ttl_ms;
  if (key.dump) {
    object["dump"] = core::base64_encode(*key.dump);
  }
  try {
    return object.dump() + "\n";
  } catch (const json::type_error&) { // the key is not valid UTF-8
    object.erase("key");
    object["key_base64"] = core::base64_encode(key.key);
    return object.dump() + "\n";
  }
}

core::Result<SnapshotHeader>
parse_snapshot_header(std::string_view line)
{
  const json object = json::parse(line, nullptr, false);
  const std::optional<std::int64_t> version =
      object.is_object() ? integer_member(object, "cachewarm_snapshot") : std::nullopt;
  if (!version) {
    return core::fail(core::Errc::source,
                      "not a cachewarm snapshot (line 1 is not its header; take one with "
                      "cachewarm snapshot)");
  }
  if (*version != k_format_version) {
    return core::fail(core::Errc::source,
                      "snapshot format " + std::to_string(*version)
                          + " is not supported (this "
                            "cachewarm reads format 1)");
  }
  SnapshotHeader header;
  header.target = string_member(object, "target").value_or("");
  header.server = string_member(object, "server").value_or("");
  header.ranked_by = string_member(object, "ranked_by").value_or("");
  header.maxmemory_policy = string_member(object, "maxmemory_policy").value_or("");
  header.match = string_member(object, "match").value_or("");
  const std::optional<std::int64_t> taken = integer_member(object, "taken_at_ms");
  if (!taken || (header.ranked_by != "lfu_freq" && header.ranked_by != "idle_time")) {
    return core::fail(core::Errc::source,
                      "not a cachewarm snapshot (its header lacks taken_at_ms or ranked_by)");
  }
  header.taken_at_ms = *taken;
  header.keys_in_db = static_cast<std::uint64_t>(integer_member(object, "keys_in_db").value_or(0));
  header.examined = static_cast<std::uint64_t>(integer_member(object, "examined").value_or(0));
  const auto flag = [&](const char* name) {
    const auto found = object.find(name);
    return found != object.end() && found->is_boolean() && found->get<bool>();
  };
  header.sampled = flag("sampled");
  header.values = flag("values");
  return header;
}

core::Result<SnapshotKey>
parse_snapshot_key(std::string_view line, std::string_view ranked_by)
{
  const json object = json::parse(line, nullptr, false);
  if (!object.is_object()) {
    return core::fail(core::Errc::source, "not a JSON object");
  }
  SnapshotKey key;
  if (std::optional<std::string> text = string_member(object, "key")) {
    key.key = std::move(*text);
  } else if (std::optional<std::string> encoded = string_member(object, "key_base64")) {
    std::optional<std::string> bytes = core::base64_decode(*encoded);
    if (!bytes) {
      return core::fail(core::Errc::source, "\"key_base64\" is not base64");
    }
    key.key = std::move(*bytes);
  } else {
    return core::fail(core::Errc::source, "no \"key\" (a string)");
  }
  if (key.key.empty()) {
    return core::fail(core::Errc::source, "an empty key");
  }
  const char* score = score_name(ranked_by);
  const std::optional<std::int64_t> value = integer_member(object, score);
  const std::optional<std::int64_t> ttl = integer_member(object, "ttl_ms");
  if (!value || !ttl) {
    return core::fail(core::Errc::source,
                      std::string("no \"") + (value ? "ttl_ms" : score) + "\" (an integer)");
  }
  key.score = *value;
  key.ttl_ms = *ttl;
  if (object.contains("dump")) {
    std::optional<std::string> encoded = string_member(object, "dump");
    std::optional<std::string> bytes = encoded ? core::base64_decode(*encoded) : std::nullopt;
    if (!bytes) {
      return core::fail(core::Errc::source, "\"dump\" is not base64");
    }
    key.dump = std::move(*bytes);
  }
  return key;
}

core::Result<std::unique_ptr<KeySource>>
open_snapshot_keys(const std::string& path, const SnapshotKeysOptions& options)
{
  CW_TRY_ASSIGN(std::unique_ptr<std::ifstream> in, detail::open_file(path));
  detail::LineReader reader(std::move(in), path);
  CW_TRY_ASSIGN(std::optional<detail::Line> first, reader.next());
  core::Result<SnapshotHeader> header =
      first ? parse_snapshot_header(detail::without_cr(first->text))
            : core::fail(core::Errc::source, "not a cachewarm snapshot (the file is empty)");
  if (!header) {
    return core::fail(core::Errc::source, path + ":1: " + header.error().message);
  }
  if (options.restore && !header->values) {
    return core::fail(core::Errc::source,
                      path
                          + ": taken without --values, so it holds no values to restore (take "
                            "it with cachewarm snapshot --values, or give the group another "
                            "value)");
  }
  return std::make_unique<SnapshotKeys>(std::move(reader), std::move(*header), options);
}

core::Result<std::unique_ptr<ValueResolver>>
make_restore_value(std::span<const std::string> fields)
{
  std::optional<std::size_t> ttl;
  std::optional<std::size_t> dump;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (fields[i] == "ttl_ms") {
      ttl = i;
    } else if (fields[i] == "dump") {
      dump = i;
    }
  }
  if (!ttl || !dump) {
    return core::fail(core::Errc::manifest,
                      "{restore: snapshot} needs the rows of a keys_from snapshot");
  }
  return std::make_unique<RestoreValue>(*ttl, *dump);
}

} // namespace cachewarm::sources
