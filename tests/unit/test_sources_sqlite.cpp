#include "support/results.hpp"
#include "support/sources.hpp"
#include "support/temp_files.hpp"

#include "cachewarm/core/template.hpp"
#include "cachewarm/core/types.hpp"
#include "cachewarm/sources/sqlite.hpp"

#include <doctest/doctest.h>
#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

using cachewarm::core::Errc;
using cachewarm::core::Failure;
using cachewarm::core::Row;
using cachewarm::core::Template;
using cachewarm::sources::KeySource;
using cachewarm::sources::open_sqlite_lookup;
using cachewarm::sources::open_sqlite_query;
using cachewarm::sources::ValueResolver;
using namespace cachewarm::test;

namespace {

using Connection = std::unique_ptr<sqlite3, decltype(&sqlite3_close_v2)>;
using Statement = std::unique_ptr<sqlite3_stmt, decltype(&sqlite3_finalize)>;

// A database file in the temp directory, removed at the end of the test case. Written through
// the test's own read-write connection.
class TempDatabase {
public:
  TempDatabase()
      : m_db(open(m_file.path()))
  {}

  const std::string& path() const { return m_file.path(); }

  void exec(const std::string& sql)
  {
    char* error = nullptr;
    const int rc = sqlite3_exec(m_db.get(), sql.c_str(), nullptr, nullptr, &error);
    const std::string message = error != nullptr ? error : "";
    sqlite3_free(error);
    REQUIRE_MESSAGE(rc == SQLITE_OK, message);
  }

  // INSERT INTO blobs(name, body) with `body` bound as a BLOB.
  void insert_blob(const std::string& name, const std::string& body)
  {
    sqlite3_stmt* raw = nullptr;
    REQUIRE(sqlite3_prepare_v2(
                m_db.get(), "INSERT INTO blobs(name, body) VALUES (?, ?)", -1, &raw, nullptr)
            == SQLITE_OK);
    const Statement statement(raw, &sqlite3_finalize);
    REQUIRE(sqlite3_bind_text(
                statement.get(), 1, name.data(), static_cast<int>(name.size()), SQLITE_TRANSIENT)
            == SQLITE_OK);
    REQUIRE(sqlite3_bind_blob(
                statement.get(), 2, body.data(), static_cast<int>(body.size()), SQLITE_TRANSIENT)
            == SQLITE_OK);
    REQUIRE(sqlite3_step(statement.get()) == SQLITE_DONE);
  }

private:
  static Connection open(const std::string& path)
  {
    sqlite3* raw = nullptr;
    const int rc =
        sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
    Connection db(raw, &sqlite3_close_v2);
    REQUIRE(rc == SQLITE_OK);
    return db;
  }

  TempPath m_file{".db"}; // declared first: removed after the connection is closed
  Connection m_db;
};

// A database with `items(id, name, price)` (ids 1..5) and `blobs(name, body)`.
void
fill_catalog(TempDatabase& db)
{
  db.exec("CREATE TABLE items(id INTEGER PRIMARY KEY, name TEXT, price REAL);"
          "INSERT INTO items VALUES (1, 'lamp', 9.5), (2, 'desk', 120), (3, 'chair', NULL),"
          " (4, 'sofa', 499.99), (5, 'rug', 35.25);"
          "CREATE TABLE blobs(name TEXT PRIMARY KEY, body BLOB);");
}

std::unique_ptr<KeySource>
query_ok(const TempDatabase& db, const std::string& sql, std::string_view key)
{
  return require_ok(open_sqlite_query(db.path(), sql, parse_template(key)));
}

std::unique_ptr<ValueResolver>
lookup_ok(const TempDatabase& db,
          const std::string& sql,
          const std::vector<std::string_view>& params,
          const Strings& fields)
{
  std::vector<Template> templates;
  for (const std::string_view param : params) {
    templates.push_back(parse_template(param));
  }
  return require_ok(open_sqlite_lookup(db.path(), sql, templates, fields));
}

} // namespace

TEST_SUITE("sources::sqlite")
{
  TEST_CASE("a query streams rows in batches with keys rendered over its columns")
  {
    TempDatabase db;
    fill_catalog(db);
    auto source = query_ok(db, "SELECT id, name FROM items ORDER BY id", "item:{id}:{name}");
    CHECK(source->fields() == Strings{"id", "name"});
    std::vector<Row> rows;
    std::vector<Failure> failures;
    CHECK(source->next(2, rows, failures) == true);
    CHECK(keys_of(rows) == Strings{"item:1:lamp", "item:2:desk"});
    CHECK(source->next(2, rows, failures) == true);
    CHECK(keys_of(rows) == Strings{"item:1:lamp", "item:2:desk", "item:3:chair", "item:4:sofa"});
    CHECK(source->next(2, rows, failures) == false);
    CHECK(keys_of(rows)
          == Strings{"item:1:lamp", "item:2:desk", "item:3:chair", "item:4:sofa", "item:5:rug"});
    CHECK(source->next(2, rows, failures) == false);
    CHECK(rows.size() == 5);
    CHECK(failures.empty());
  }

  TEST_CASE("count() counts a query's rows without consuming them, even mid-stream")
  {
    TempDatabase db;
    fill_catalog(db);
    auto source = query_ok(db, "SELECT id FROM items WHERE price > 10 ORDER BY id;  \n", "i:{id}");
    CHECK(require_ok(source->count()) == std::optional<std::uint64_t>(3));
    std::vector<Row> rows;
    std::vector<Failure> failures;
    CHECK(source->next(2, rows, failures) == true);
    CHECK(source->count().value() == std::optional<std::uint64_t>(3));
    CHECK(source->next(10, rows, failures) == false);
    CHECK(keys_of(rows) == Strings{"i:2", "i:4", "i:5"});
  }

  TEST_CASE("count() survives a trailing line comment in the query")
  {
    TempDatabase db;
    fill_catalog(db);
    auto source = query_ok(db, "SELECT id FROM items -- every item", "i:{id}");
    CHECK(source->count().value() == std::optional<std::uint64_t>(5));
  }

  TEST_CASE("count_sql wraps the query and drops trailing semicolons")
  {
    CHECK(cachewarm::sources::count_sql("SELECT 1;; \n")
          == "SELECT count(*) FROM (SELECT 1\n) AS cw_count");
    CHECK(cachewarm::sources::count_sql("SELECT a FROM t -- c")
          == "SELECT count(*) FROM (SELECT a FROM t -- c\n) AS cw_count");
  }

  TEST_CASE("query rows carry every column as text, NULL as nullopt")
  {
    TempDatabase db;
    fill_catalog(db);
    auto source =
        query_ok(db, "SELECT id, name, price FROM items WHERE id <= 3 ORDER BY id", "{id}");
    std::vector<Row> rows;
    std::vector<Failure> failures;
    CHECK(source->next(10, rows, failures) == false);
    REQUIRE(rows.size() == 3);
    CHECK(rows[0].fields == Fields{"1", "lamp", "9.5"});
    CHECK(rows[1].fields == Fields{"2", "desk", "120.0"});
    CHECK(rows[2].fields == Fields{"3", "chair", std::nullopt});
  }

  TEST_CASE("the fields are the query's column names, aliases included")
  {
    TempDatabase db;
    fill_catalog(db);
    auto source =
        query_ok(db, "SELECT id AS product_id, upper(name) AS label FROM items", "p:{product_id}");
    CHECK(source->fields() == Strings{"product_id", "label"});
  }

  TEST_CASE("an exact multiple of the batch size ends with an empty last batch")
  {
    TempDatabase db;
    fill_catalog(db);
    auto source = query_ok(db, "SELECT id FROM items WHERE id <= 4 ORDER BY id", "{id}");
    std::vector<Row> rows;
    std::vector<Failure> failures;
    CHECK(source->next(2, rows, failures) == true);
    CHECK(source->next(2, rows, failures) == true);
    CHECK(rows.size() == 4);
    CHECK(source->next(2, rows, failures) == false);
    CHECK(rows.size() == 4);
  }

  TEST_CASE("a query with no rows is exhausted at once")
  {
    TempDatabase db;
    fill_catalog(db);
    auto source = query_ok(db, "SELECT id FROM items WHERE id > 100", "{id}");
    std::vector<Row> rows;
    std::vector<Failure> failures;
    CHECK(source->next(10, rows, failures) == false);
    CHECK(rows.empty());
    CHECK(failures.empty());
  }

  TEST_CASE("a NULL key column is a null_key failure counting toward the batch")
  {
    TempDatabase db;
    fill_catalog(db);
    auto source = query_ok(db, "SELECT id, price FROM items ORDER BY id", "{id}:{price}");
    std::vector<Row> rows;
    std::vector<Failure> failures;
    CHECK(source->next(3, rows, failures) == true);
    CHECK(keys_of(rows) == Strings{"1:9.5", "2:120.0"});
    REQUIRE(failures.size() == 1);
    CHECK(failures[0].key == "row 3");
    CHECK(failures[0].kind == "null_key");
    CHECK(failures[0].message == "a key column is NULL");
    CHECK(source->next(3, rows, failures) == false);
    CHECK(keys_of(rows) == Strings{"1:9.5", "2:120.0", "4:499.99", "5:35.25"});
    CHECK(failures.size() == 1);
  }

  TEST_CASE("a BLOB column keeps NUL and non-UTF-8 bytes")
  {
    TempDatabase db;
    fill_catalog(db);
    const std::string body("a\0b\0\xFF\xFE", 6);
    db.insert_blob("bin", body);
    auto source = query_ok(db, "SELECT name, body FROM blobs", "blob:{name}");
    std::vector<Row> rows;
    std::vector<Failure> failures;
    CHECK(source->next(10, rows, failures) == false);
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].key == "blob:bin");
    REQUIRE(rows[0].fields.size() == 2);
    REQUIRE(rows[0].fields[1].has_value());
    CHECK(rows[0].fields[1]->size() == 6);
    CHECK(*rows[0].fields[1] == body);
  }

  TEST_CASE("a key template naming a missing column is a manifest error")
  {
    TempDatabase db;
    fill_catalog(db);
    CHECK(error_message(open_sqlite_query(
                            db.path(), "SELECT id, name FROM items", parse_template("x:{nope}")),
                        Errc::manifest)
          == "key template \"x:{nope}\": unknown variable {nope} (available: id, name)");
  }

  TEST_CASE("a query that does not prepare is a manifest error")
  {
    TempDatabase db;
    fill_catalog(db);
    CHECK(error_message(open_sqlite_query(db.path(), "SELEC id FROM items", parse_template("{id}")),
                        Errc::manifest)
          == "sql: near \"SELEC\": syntax error");
    CHECK(error_message(open_sqlite_query(db.path(), "SELECT id FROM nope", parse_template("{id}")),
                        Errc::manifest)
          == "sql: no such table: nope");
  }

  TEST_CASE("an empty query is a manifest error")
  {
    TempDatabase db;
    fill_catalog(db);
    CHECK(error_message(open_sqlite_query(db.path(), "  -- nothing\n", parse_template("k")),
                        Errc::manifest)
          == "sql: the statement is empty");
  }

  TEST_CASE("a missing database file is a source error and is not created")
  {
    const TempPath missing(".db");
    const std::string& path = missing.path();
    CHECK(error_message(open_sqlite_query(path, "SELECT 1 AS one", parse_template("{one}")),
                        Errc::source)
          == "sqlite " + path + ": unable to open database file");
    CHECK_FALSE(std::filesystem::exists(path));
  }

  TEST_CASE("a lookup binds its parameters, so quotes in a key are data")
  {
    TempDatabase db;
    fill_catalog(db);
    const std::string hostile = "o'brien\"; DROP TABLE blobs; --";
    db.insert_blob(hostile, "found it");
    db.insert_blob("plain", "plain body");
    auto resolver = lookup_ok(db, "SELECT body FROM blobs WHERE name = ?", {"{key}"}, {});
    const Resolved out = resolve(*resolver, {Row{hostile, {}}, Row{"plain", {}}});
    CHECK(out.failures.empty());
    REQUIRE(out.entries.size() == 2);
    CHECK(out.entries[0].key == hostile);
    CHECK(text_of(out.entries[0]) == "found it");
    CHECK(out.entries[1].key == "plain");
    CHECK(text_of(out.entries[1]) == "plain body");
    // The table is still there.
    const Resolved again = resolve(*resolver, {Row{"plain", {}}});
    CHECK(again.entries.size() == 1);
  }

  TEST_CASE("lookup parameters are templates over the row's fields and key, in order")
  {
    TempDatabase db;
    fill_catalog(db);
    auto resolver = lookup_ok(db,
                              "SELECT name || '@' || ? FROM items WHERE id = ?",
                              {"{key}/{lang}", "{id}"},
                              {"id", "lang"});
    const Resolved out =
        resolve(*resolver, {Row{"page:2", {"2", "de"}}, Row{"page:4", {"4", "en"}}});
    CHECK(out.failures.empty());
    REQUIRE(out.entries.size() == 2);
    CHECK(text_of(out.entries[0]) == "desk@page:2/de");
    CHECK(text_of(out.entries[1]) == "sofa@page:4/en");
  }

  TEST_CASE("a lookup value keeps BLOB bytes")
  {
    TempDatabase db;
    fill_catalog(db);
    const std::string body("\0\x01\n\xFF", 4);
    db.insert_blob("bin", body);
    auto resolver = lookup_ok(db, "SELECT body FROM blobs WHERE name = ?", {"{key}"}, {});
    const Resolved out = resolve(*resolver, {Row{"bin", {}}});
    REQUIRE(out.entries.size() == 1);
    CHECK(text_of(out.entries[0]) == body);
  }

  TEST_CASE("a lookup with no row is not_found")
  {
    TempDatabase db;
    fill_catalog(db);
    auto resolver = lookup_ok(db, "SELECT body FROM blobs WHERE name = ?", {"{key}"}, {});
    const Resolved out = resolve(*resolver, {Row{"absent", {}}});
    CHECK(out.entries.empty());
    REQUIRE(out.failures.size() == 1);
    CHECK(out.failures[0].key == "absent");
    CHECK(out.failures[0].kind == "not_found");
    CHECK(out.failures[0].message == "the lookup returned no row");
  }

  TEST_CASE("a lookup holds no lock between batches, so writers are not blocked")
  {
    TempDatabase db;
    fill_catalog(db);
    db.insert_blob("a", "1");
    auto resolver = lookup_ok(db, "SELECT body FROM blobs WHERE name = ?", {"{key}"}, {});
    const Resolved first = resolve(*resolver, {Row{"a", {}}});
    REQUIRE(first.entries.size() == 1);
    // The test's connection has no busy timeout: a lingering read lock fails this at once.
    db.insert_blob("b", "2");
    const Resolved second = resolve(*resolver, {Row{"b", {}}});
    REQUIRE(second.entries.size() == 1);
    CHECK(text_of(second.entries[0]) == "2");
  }

  TEST_CASE("a lookup returning NULL is not_found")
  {
    TempDatabase db;
    fill_catalog(db);
    auto resolver = lookup_ok(db, "SELECT price FROM items WHERE name = ?", {"{key}"}, {});
    const Resolved out = resolve(*resolver, {Row{"chair", {}}, Row{"lamp", {}}});
    REQUIRE(out.failures.size() == 1);
    CHECK(out.failures[0].key == "chair");
    CHECK(out.failures[0].kind == "not_found");
    CHECK(out.failures[0].message == "the lookup returned NULL");
    REQUIRE(out.entries.size() == 1);
    CHECK(out.entries[0].key == "lamp");
    CHECK(text_of(out.entries[0]) == "9.5");
  }

  TEST_CASE("a lookup parameter over a NULL field is not_found")
  {
    TempDatabase db;
    fill_catalog(db);
    auto resolver = lookup_ok(db, "SELECT name FROM items WHERE id = ?", {"{id}"}, {"id"});
    const Resolved out = resolve(*resolver, {Row{"k", {std::nullopt}}});
    CHECK(out.entries.empty());
    REQUIRE(out.failures.size() == 1);
    CHECK(out.failures[0].key == "k");
    CHECK(out.failures[0].kind == "not_found");
    CHECK(out.failures[0].message == "a lookup parameter is NULL");
  }

  TEST_CASE("a lookup uses the first column of the first row")
  {
    TempDatabase db;
    fill_catalog(db);
    auto resolver = lookup_ok(
        db, "SELECT name, id FROM items WHERE price > CAST(? AS REAL) ORDER BY id", {"{key}"}, {});
    const Resolved out = resolve(*resolver, {Row{"100", {}}});
    REQUIRE(out.entries.size() == 1);
    CHECK(text_of(out.entries[0]) == "desk");
  }

  TEST_CASE("the lookup connection is read-only: a write is a source_error for that key")
  {
    TempDatabase db;
    fill_catalog(db);
    auto resolver = lookup_ok(db, "DELETE FROM items WHERE name = ?", {"{key}"}, {});
    const Resolved out = resolve(*resolver, {Row{"lamp", {}}});
    CHECK(out.entries.empty());
    REQUIRE(out.failures.size() == 1);
    CHECK(out.failures[0].key == "lamp");
    CHECK(out.failures[0].kind == "source_error");
    CHECK(out.failures[0].message == "attempt to write a readonly database");
  }

  TEST_CASE("a lookup whose parameter count differs from params is a manifest error")
  {
    TempDatabase db;
    fill_catalog(db);
    const std::vector<Template> params{parse_template("{key}"), parse_template("{key}")};
    CHECK(error_message(open_sqlite_lookup(
                            db.path(), "SELECT body FROM blobs WHERE name = ?", params, Strings{}),
                        Errc::manifest)
          == "sql has 1 parameter(s) but params lists 2");
    CHECK(error_message(
              open_sqlite_lookup(
                  db.path(), "SELECT body FROM blobs WHERE name = ? OR name = ?", {}, Strings{}),
              Errc::manifest)
          == "sql has 2 parameter(s) but params lists 0");
  }

  TEST_CASE("a lookup parameter naming an unknown variable is a manifest error")
  {
    TempDatabase db;
    fill_catalog(db);
    const std::vector<Template> params{parse_template("{nope}")};
    CHECK(error_message(
              open_sqlite_lookup(
                  db.path(), "SELECT body FROM blobs WHERE name = ?", params, Strings{"id"}),
              Errc::manifest)
          == "param \"{nope}\": unknown variable {nope} (available: id, key)");
  }

  TEST_CASE("a lookup whose SQL does not prepare is a manifest error")
  {
    TempDatabase db;
    fill_catalog(db);
    const std::vector<Template> params{parse_template("{key}")};
    CHECK(error_message(open_sqlite_lookup(
                            db.path(), "SELECT body FROM nope WHERE name = ?", params, Strings{}),
                        Errc::manifest)
          == "sql: no such table: nope");
  }

  TEST_CASE("a lookup on a missing database file is a source error")
  {
    const TempPath missing(".db");
    const std::string& path = missing.path();
    const std::vector<Template> params{parse_template("{key}")};
    CHECK(error_message(open_sqlite_lookup(path, "SELECT ?", params, Strings{}), Errc::source)
          == "sqlite " + path + ": unable to open database file");
  }
}
