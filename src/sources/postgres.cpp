#include "cachewarm/sources/postgres.hpp"

#include "sql_detail.hpp"

#include <libpq-fe.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cachewarm::sources {

namespace {

using Connection = std::unique_ptr<PGconn, decltype(&PQfinish)>;
using PgResult = std::unique_ptr<PGresult, decltype(&PQclear)>;
using ConninfoOptions = std::unique_ptr<PQconninfoOption, decltype(&PQconninfoFree)>;
using PgBytes = std::unique_ptr<unsigned char, decltype(&PQfreemem)>;

constexpr Oid k_bytea_oid = 17;
constexpr const char* k_lookup_statement = "cw_lookup";

bool
is_space(char c)
{
  return std::isspace(static_cast<unsigned char>(c)) != 0;
}

// --- libpq helpers ----------------------------------------------------------------------------

std::string
first_line(const char* text)
{
  std::string_view view = text != nullptr ? text : "";
  const std::size_t newline = view.find('\n');
  if (newline != std::string_view::npos) {
    view = view.substr(0, newline);
  }
  while (!view.empty() && is_space(view.back())) {
    view.remove_suffix(1);
  }
  return std::string(view);
}

// The server's primary message for a failed result (without "ERROR:  " and the detail lines).
std::string
server_message(const PGresult* result, const PGconn& connection)
{
  if (result != nullptr) {
    if (const char* primary = PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY)) {
      return primary;
    }
    std::string line = first_line(PQresultErrorMessage(result));
    if (!line.empty()) {
      return line;
    }
  }
  return first_line(PQerrorMessage(&connection));
}

// "host:port" of the connection (never the conninfo, which may hold a password).
std::string
endpoint(const PGconn& connection)
{
  const char* host = PQhost(&connection);
  const char* port = PQport(&connection);
  return std::string(host != nullptr ? host : "") + ":" + (port != nullptr ? port : "");
}

// True if the connection is gone: libpq says so, or the server ended the session (FATAL).
bool
connection_lost(const PGconn& connection, const PGresult* result)
{
  if (PQstatus(&connection) == CONNECTION_BAD) {
    return true;
  }
  if (result == nullptr) {
    return false;
  }
  const char* severity = PQresultErrorField(result, PG_DIAG_SEVERITY_NONLOCALIZED);
  return severity != nullptr
         && (std::string_view(severity) == "FATAL" || std::string_view(severity) == "PANIC");
}

// Checks that libpq can parse `conninfo`; returns whether it sets connect_timeout itself.
// Parse errors may quote the conninfo, so the message is scrubbed of it and of its password.
core::Result<bool>
check_conninfo(const std::string& conninfo)
{
  char* raw_error = nullptr;
  ConninfoOptions options(PQconninfoParse(conninfo.c_str(), &raw_error), &PQconninfoFree);
  const PgBytes error(reinterpret_cast<unsigned char*>(raw_error), &PQfreemem);
  if (!options) {
    const std::string detail = redact_conninfo_in(first_line(raw_error), conninfo);
    return core::fail(core::Errc::manifest,
                      "postgres \"" + redact_conninfo(conninfo) + "\": invalid connection string"
                          + (detail.empty() ? "" : ": " + detail));
  }
  for (const PQconninfoOption* option = options.get(); option->keyword != nullptr; ++option) {
    if (std::string_view(option->keyword) == "connect_timeout" && option->val != nullptr
        && option->val[0] != '\0') {
      return true;
    }
  }
  return false;
}

// Connects to `conninfo`, adding `connect_timeout=10` unless the conninfo (or PGCONNECT_TIMEOUT)
// sets one, and TCP keepalive defaults, so an unreachable or dead host cannot hang a run.
core::Result<Connection>
open_connection(const std::string& conninfo)
{
  CW_TRY_ASSIGN(const bool has_timeout, check_conninfo(conninfo));
  // Keywords before "dbname" are defaults: the expanded conninfo overrides whatever it sets.
  std::vector<const char*> keywords;
  std::vector<const char*> values;
  // libpq reads the environment on every connect anyway, and nothing in cachewarm sets it.
  if (!has_timeout
      && std::getenv("PGCONNECT_TIMEOUT") == nullptr) { // NOLINT(concurrency-mt-unsafe)
    keywords.push_back("connect_timeout");
    values.push_back("10");
  }
  keywords.push_back("fallback_application_name");
  values.push_back("cachewarm");
  // A server or network that dies mid-query must not hang the run: TCP keepalives notice a dead
  // peer within about a minute, and unacknowledged sends give up after 60 s. (A slow but live
  // query is left alone: bulk queries may take long.) The conninfo may override these.
  for (const auto& [keyword, value] : {std::pair{"keepalives", "1"},
                                       std::pair{"keepalives_idle", "30"},
                                       std::pair{"keepalives_interval", "10"},
                                       std::pair{"keepalives_count", "3"},
                                       std::pair{"tcp_user_timeout", "60000"}}) {
    keywords.push_back(keyword);
    values.push_back(value);
  }
  keywords.push_back("dbname");
  values.push_back(conninfo.c_str());
  keywords.push_back(nullptr);
  values.push_back(nullptr);
  Connection connection(PQconnectdbParams(keywords.data(), values.data(), 1), &PQfinish);
  if (!connection) {
    return core::fail(core::Errc::source,
                      "postgres \"" + redact_conninfo(conninfo) + "\": out of memory");
  }
  if (PQstatus(connection.get()) != CONNECTION_OK) {
    return core::fail(core::Errc::source,
                      "postgres " + endpoint(*connection) + ": "
                          + first_line(PQerrorMessage(connection.get())));
  }
  return connection;
}

// Runs a command that returns no rows; a failure is Errc::source naming the endpoint.
core::Result<void>
command(PGconn& connection, const char* sql)
{
  const PgResult result(PQexec(&connection, sql), &PQclear);
  if (PQresultStatus(result.get()) != PGRES_COMMAND_OK) {
    return core::fail(core::Errc::source,
                      "postgres " + endpoint(connection) + ": " + sql + ": "
                          + server_message(result.get(), connection));
  }
  return {};
}

// What the server says about a prepared statement: column names and types, parameter count.
struct Description {
  std::vector<std::string> columns;
  std::vector<bool> bytea;
  std::size_t parameters = 0;
};

// Prepares `sql` as statement `name` and describes it. A statement the server rejects is the
// manifest's fault (Errc::manifest "sql: ..."), unless the connection itself broke.
core::Result<Description>
prepare(PGconn& connection, const char* name, const std::string& sql)
{
  const PgResult prepared(PQprepare(&connection, name, sql.c_str(), 0, nullptr), &PQclear);
  if (PQresultStatus(prepared.get()) != PGRES_COMMAND_OK) {
    const core::Errc code =
        connection_lost(connection, prepared.get()) ? core::Errc::source : core::Errc::manifest;
    return core::fail(code, "sql: " + server_message(prepared.get(), connection));
  }
  const PgResult described(PQdescribePrepared(&connection, name), &PQclear);
  if (PQresultStatus(described.get()) != PGRES_COMMAND_OK) {
    return core::fail(core::Errc::source,
                      "postgres " + endpoint(connection)
                          + ": describe: " + server_message(described.get(), connection));
  }
  Description description;
  const int columns = PQnfields(described.get());
  for (int c = 0; c < columns; ++c) {
    description.columns.emplace_back(PQfname(described.get(), c));
    description.bytea.push_back(PQftype(described.get(), c) == k_bytea_oid);
  }
  description.parameters = static_cast<std::size_t>(PQnparams(described.get()));
  if (columns == 0) {
    return core::fail(core::Errc::manifest, "sql: the statement returns no columns");
  }
  return description;
}

// A result cell as bytes: bytea decoded to raw bytes, everything else as the server's text.
std::optional<std::string>
cell(const PGresult& result, int row, int column, bool bytea)
{
  if (PQgetisnull(&result, row, column) != 0) {
    return std::nullopt;
  }
  const char* text = PQgetvalue(&result, row, column);
  if (!bytea) {
    return std::string(text, static_cast<std::size_t>(PQgetlength(&result, row, column)));
  }
  std::size_t size = 0;
  const PgBytes bytes(PQunescapeBytea(reinterpret_cast<const unsigned char*>(text), &size),
                      &PQfreemem);
  if (!bytes) {
    throw std::bad_alloc(); // PQunescapeBytea fails only when out of memory
  }
  return std::string(reinterpret_cast<const char*>(bytes.get()), size);
}

// --- Query cursor -----------------------------------------------------------------------------

// The rows of a server-side cursor, fetched a page of `fetch_size` rows at a time.
class PostgresCursor final : public detail::RowCursor {
public:
  PostgresCursor(Connection connection,
                 Description description,
                 std::size_t fetch_size,
                 std::string sql)
      : m_connection(std::move(connection))
      , m_endpoint(endpoint(*m_connection))
      , m_columns(std::move(description.columns))
      , m_bytea(std::move(description.bytea))
      , m_fetch_size(fetch_size)
      , m_fetch("FETCH " + std::to_string(fetch_size) + " FROM cw_cursor")
      , m_sql(std::move(sql))
  {}

  const std::vector<std::string>& columns() const override { return m_columns; }

  // In the cursor's transaction, so the count is of the very snapshot the rows come from; inside
  // a savepoint, so a failing count leaves the transaction (and the cursor) usable.
  core::Result<std::optional<std::uint64_t>> count() override
  {
    CW_TRY(command(*m_connection, "SAVEPOINT cw_count"));
    const std::string counting = count_sql(m_sql);
    const PgResult result(PQexec(m_connection.get(), counting.c_str()), &PQclear);
    if (PQresultStatus(result.get()) != PGRES_TUPLES_OK || PQntuples(result.get()) != 1) {
      const std::string message = server_message(result.get(), *m_connection);
      CW_TRY(command(*m_connection, "ROLLBACK TO SAVEPOINT cw_count"));
      return core::fail(core::Errc::source, "counting rows: " + message);
    }
    CW_TRY(command(*m_connection, "RELEASE SAVEPOINT cw_count"));
    return static_cast<std::uint64_t>(std::stoull(PQgetvalue(result.get(), 0, 0)));
  }

  core::Result<bool> advance() override
  {
    if (m_page_row == m_page_rows) {
      if (!m_last_page) {
        CW_TRY(fetch());
      }
      if (m_page_row == m_page_rows) {
        CW_TRY(finish());
        return false;
      }
    }
    m_row = m_page_row++;
    return true;
  }

  std::optional<std::string> column(std::size_t column) const override
  {
    return cell(*m_page, m_row, static_cast<int>(column), m_bytea[column]);
  }

  // The last page was short and is read: no FETCH is needed to know the cursor is done.
  core::Result<bool> at_end() override
  {
    if (m_page_row == m_page_rows && m_last_page) {
      CW_TRY(finish());
      return true;
    }
    return false;
  }

private:
  core::Result<void> fetch()
  {
    m_page.reset(PQexec(m_connection.get(), m_fetch.c_str()));
    m_page_row = 0;
    m_page_rows = 0;
    if (PQresultStatus(m_page.get()) != PGRES_TUPLES_OK) {
      return core::fail(core::Errc::source,
                        "postgres " + m_endpoint
                            + ": query failed: " + server_message(m_page.get(), *m_connection));
    }
    m_page_rows = PQntuples(m_page.get());
    m_last_page = static_cast<std::size_t>(m_page_rows) < m_fetch_size;
    return {};
  }

  // Ends the read-only transaction (closing the cursor) once every row was read.
  core::Result<void> finish()
  {
    m_page.reset();
    m_page_row = 0;
    m_page_rows = 0;
    return command(*m_connection, "COMMIT");
  }

  Connection m_connection;
  std::string m_endpoint;
  std::vector<std::string> m_columns;
  std::vector<bool> m_bytea;
  std::size_t m_fetch_size;
  std::string m_fetch;
  std::string m_sql;
  PgResult m_page{nullptr, &PQclear};
  int m_page_row = 0; // the next row of the page to read
  int m_row = 0;      // the row advance() moved to
  int m_page_rows = 0;
  bool m_last_page = false;
};

// --- Lookup statement -------------------------------------------------------------------------

// The prepared lookup `k_lookup_statement`, sent for a whole batch in libpq pipeline mode.
class PostgresLookup final : public detail::LookupStatement {
public:
  PostgresLookup(Connection connection, bool bytea)
      : m_connection(std::move(connection))
      , m_endpoint(endpoint(*m_connection))
      , m_bytea(bytea)
  {}

  core::Result<void> run(std::span<const std::vector<std::string>> calls,
                         std::span<detail::LookupAnswer> answers) override
  {
    std::vector<std::size_t> todo(calls.size());
    for (std::size_t i = 0; i < todo.size(); ++i) {
      todo[i] = i;
    }
    // The batch runs as one implicit transaction: after an error the server skips the rest of
    // the pipeline, so those keys go round again (each pass settles at least one key).
    while (!todo.empty()) {
      CW_TRY_ASSIGN(todo, pipeline(calls, todo, answers));
    }
    return {};
  }

private:
  core::Error lost(const PGresult* result) const
  {
    return core::Error{core::Errc::source,
                       "postgres " + m_endpoint
                           + ": lookup failed: " + server_message(result, *m_connection)};
  }

  // Sends the lookups `calls[todo]` in one pipeline and reads their results into `answers`;
  // returns the indices the server skipped after an earlier error in the same pipeline.
  core::Result<std::vector<std::size_t>> pipeline(std::span<const std::vector<std::string>> calls,
                                                  std::span<const std::size_t> todo,
                                                  std::span<detail::LookupAnswer> answers)
  {
    PGconn* connection = m_connection.get();
    if (PQenterPipelineMode(connection) != 1) {
      return tl::unexpected(lost(nullptr));
    }
    for (const std::size_t index : todo) {
      // libpq copies the values when sending.
      m_pointers.clear();
      for (const std::string& value : calls[index]) {
        m_pointers.push_back(value.c_str());
      }
      if (PQsendQueryPrepared(connection,
                              k_lookup_statement,
                              static_cast<int>(m_pointers.size()),
                              m_pointers.data(),
                              nullptr,
                              nullptr,
                              0)
          != 1) {
        return tl::unexpected(lost(nullptr));
      }
    }
    if (PQpipelineSync(connection) != 1) {
      return tl::unexpected(lost(nullptr));
    }
    std::vector<std::size_t> skipped;
    for (const std::size_t index : todo) {
      const PgResult result(PQgetResult(connection), &PQclear);
      if (!result) {
        return tl::unexpected(lost(nullptr));
      }
      switch (PQresultStatus(result.get())) {
      case PGRES_TUPLES_OK:
        answers[index] = answer(*result);
        break;
      case PGRES_PIPELINE_ABORTED:
        skipped.push_back(index);
        break;
      default:
        if (connection_lost(*connection, result.get())) {
          return tl::unexpected(lost(result.get()));
        }
        answers[index] = {detail::LookupAnswer::Kind::error,
                          server_message(result.get(), *connection)};
        break;
      }
      // Each query's results end with a null result.
      const PgResult end(PQgetResult(connection), &PQclear);
      if (end) {
        return tl::unexpected(core::Error{
            core::Errc::source, "postgres " + m_endpoint + ": lookup: unexpected extra result"});
      }
    }
    const PgResult sync(PQgetResult(connection), &PQclear);
    if (PQresultStatus(sync.get()) != PGRES_PIPELINE_SYNC) {
      return tl::unexpected(lost(sync.get()));
    }
    if (PQexitPipelineMode(connection) != 1) {
      return tl::unexpected(lost(nullptr));
    }
    return skipped;
  }

  detail::LookupAnswer answer(const PGresult& result) const
  {
    using Kind = detail::LookupAnswer::Kind;
    if (PQntuples(&result) == 0) {
      return {Kind::no_row, {}};
    }
    std::optional<std::string> value = cell(result, 0, 0, m_bytea);
    if (!value) {
      return {Kind::null, {}};
    }
    return {Kind::value, std::move(*value)};
  }

  Connection m_connection;
  std::string m_endpoint;
  bool m_bytea;
  std::vector<const char*> m_pointers;
};

} // namespace

core::Result<std::unique_ptr<KeySource>>
open_postgres_query(const std::string& conninfo,
                    const std::string& sql,
                    const core::Template& key,
                    std::size_t fetch_size)
{
  CW_TRY_ASSIGN(Connection connection, open_connection(conninfo));
  // One snapshot for the whole stream, and a guarantee that the query changes nothing.
  CW_TRY(command(*connection, "BEGIN READ ONLY"));
  CW_TRY_ASSIGN(Description description, prepare(*connection, "", sql));
  if (description.parameters != 0) {
    return core::fail(core::Errc::manifest,
                      "sql has " + std::to_string(description.parameters)
                          + " parameter(s) but a query binds none");
  }
  CW_TRY_ASSIGN(core::BoundTemplate bound, detail::bind_key(key, description.columns));
  // A cursor, not PQexec of the query: the server sends rows only as FETCH asks for them.
  const std::string declare = "DECLARE cw_cursor NO SCROLL CURSOR FOR " + sql;
  const PgResult declared(PQexec(connection.get(), declare.c_str()), &PQclear);
  if (PQresultStatus(declared.get()) != PGRES_COMMAND_OK) {
    const core::Errc code =
        connection_lost(*connection, declared.get()) ? core::Errc::source : core::Errc::manifest;
    return core::fail(code, "sql: " + server_message(declared.get(), *connection));
  }
  return detail::make_query_source(
      std::make_unique<PostgresCursor>(
          std::move(connection), std::move(description), std::max<std::size_t>(fetch_size, 1), sql),
      std::move(bound));
}

core::Result<std::unique_ptr<ValueResolver>>
open_postgres_lookup(const std::string& conninfo,
                     const std::string& sql,
                     std::span<const core::Template> params,
                     std::span<const std::string> fields)
{
  CW_TRY_ASSIGN(Connection connection, open_connection(conninfo));
  // Lookups run in implicit transactions: make every one of them read-only.
  CW_TRY(command(*connection, "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY"));
  CW_TRY_ASSIGN(Description description, prepare(*connection, k_lookup_statement, sql));
  return detail::make_lookup_resolver(
      std::make_unique<PostgresLookup>(std::move(connection), description.bytea.front()),
      params,
      description.parameters,
      fields);
}

} // namespace cachewarm::sources
