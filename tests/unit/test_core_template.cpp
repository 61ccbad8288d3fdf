#include "support/results.hpp"

#include "cachewarm/core/template.hpp"

#include <doctest/doctest.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

using cachewarm::core::append_url_encoded;
using cachewarm::core::BoundTemplate;
using cachewarm::core::Errc;
using cachewarm::core::Escaping;
using cachewarm::core::Template;
using cachewarm::test::error_message;
using cachewarm::test::require_ok;

namespace {

using Fields = std::vector<std::optional<std::string>>;

// Parses and binds `text` against `names`; fails the test case on any error.
BoundTemplate
bind_ok(std::string_view text, const std::vector<std::string>& names)
{
  return require_ok(require_ok(Template::parse(text)).bind(names));
}

// The error message of parsing `text`, checking the error code on the way.
std::string
parse_error(std::string_view text)
{
  return error_message(Template::parse(text), Errc::manifest);
}

} // namespace

TEST_SUITE("core::template")
{
  TEST_CASE("renders literal text and variables in order")
  {
    const BoundTemplate bound = bind_ok("user:{id}:{name}", {"id", "name"});
    CHECK(bound.render(Fields{"42", "ada"}) == "user:42:ada");
  }

  TEST_CASE("binds variables by name, not by position")
  {
    const BoundTemplate bound = bind_ok("{b}-{a}", {"a", "b"});
    CHECK(bound.render(Fields{"first", "second"}) == "second-first");
  }

  TEST_CASE("a variable may repeat")
  {
    const BoundTemplate bound = bind_ok("{x}/{x}", {"x"});
    CHECK(bound.render(Fields{"v"}) == "v/v");
  }

  TEST_CASE("variables() lists names in order of appearance without duplicates")
  {
    const auto parsed = Template::parse("{b}{a}{b}{c}{a}");
    REQUIRE(parsed.has_value());
    CHECK(parsed->variables() == std::vector<std::string>{"b", "a", "c"});
  }

  TEST_CASE("variables() skips doubled braces")
  {
    const auto parsed = Template::parse("{{x}} {id}:{lang}:{id}");
    REQUIRE(parsed.has_value());
    CHECK(parsed->variables() == std::vector<std::string>{"id", "lang"});
  }

  TEST_CASE("a default-constructed template is the empty text")
  {
    const Template empty;
    CHECK(empty.text().empty());
    CHECK(empty.variables().empty());
    const auto bound = empty.bind(std::vector<std::string>{});
    REQUIRE(bound.has_value());
    CHECK(bound->render(Fields{}) == "");
  }

  TEST_CASE("text() returns the original text")
  {
    const auto parsed = Template::parse("k:{{{id}}}");
    REQUIRE(parsed.has_value());
    CHECK(parsed->text() == "k:{{{id}}}");
  }

  TEST_CASE("doubled braces are literal braces")
  {
    const BoundTemplate bound = bind_ok("{{{id}}} {{id}}", {"id"});
    CHECK(bound.render(Fields{"7"}) == "{7} {id}");
  }

  TEST_CASE("names accept letters, digits, underscore, dot and dash")
  {
    const auto parsed = Template::parse("{Az09_.-}");
    REQUIRE(parsed.has_value());
    CHECK(parsed->variables() == std::vector<std::string>{"Az09_.-"});
  }

  TEST_CASE("a template without variables is constant")
  {
    const BoundTemplate bound = bind_ok("static:key", {});
    CHECK(bound.is_constant());
    CHECK(bound.render(Fields{}) == "static:key");
    CHECK_FALSE(bind_ok("{a}", {"a"}).is_constant());
  }

  TEST_CASE("an empty template renders an empty string")
  {
    const BoundTemplate bound = bind_ok("", {});
    CHECK(bound.render(Fields{}) == "");
  }

  TEST_CASE("unclosed brace is an error naming its column")
  {
    CHECK(parse_error("ab{id") == "unclosed '{' at column 3");
  }

  TEST_CASE("empty variable name is an error naming its column")
  {
    CHECK(parse_error("x{}") == "empty variable name at column 2");
  }

  TEST_CASE("unmatched closing brace is an error naming its column")
  {
    CHECK(parse_error("{a}b}") == "unmatched '}' at column 5");
  }

  TEST_CASE("invalid variable name is an error quoting the name")
  {
    CHECK(parse_error("k:{x y}") == "invalid variable name \"x y\" at column 3");
  }

  TEST_CASE("the caller's quote_name writes the invalid name into the message")
  {
    const auto parsed = Template::parse("k:{x\ty}", [](std::string_view name) {
      return "<" + std::string(name.substr(0, 1)) + ">";
    });
    REQUIRE_FALSE(parsed.has_value());
    CHECK(parsed.error().message == "invalid variable name <x> at column 3");
  }

  TEST_CASE("bind reports an unknown variable with the available names")
  {
    const auto parsed = Template::parse("{id}:{missing}");
    REQUIRE(parsed.has_value());
    const std::vector<std::string> names{"id", "name"};
    CHECK(error_message(parsed->bind(names), Errc::manifest)
          == "unknown variable {missing} (available: id, name)");
  }

  TEST_CASE("bind against no names says none are available")
  {
    const auto parsed = Template::parse("{id}");
    REQUIRE(parsed.has_value());
    const auto bound = parsed->bind(std::vector<std::string>{});
    REQUIRE_FALSE(bound.has_value());
    CHECK(bound.error().message == "unknown variable {id} (available: none)");
  }

  TEST_CASE("render returns nullopt when a referenced field is NULL")
  {
    const BoundTemplate bound = bind_ok("{a}:{b}", {"a", "b"});
    CHECK_FALSE(bound.render(Fields{"x", std::nullopt}).has_value());
  }

  TEST_CASE("an unreferenced NULL field does not matter")
  {
    const BoundTemplate bound = bind_ok("{a}", {"a", "b"});
    CHECK(bound.render(Fields{"x", std::nullopt}) == "x");
  }

  TEST_CASE("render_to appends to the existing output")
  {
    const BoundTemplate bound = bind_ok("{a}!", {"a"});
    std::string out = "prefix|";
    CHECK(bound.render_to(out, Fields{"x"}));
    CHECK(out == "prefix|x!");
  }

  TEST_CASE("render_to returns false on a NULL field")
  {
    const BoundTemplate bound = bind_ok("{a}", {"a"});
    std::string out;
    CHECK_FALSE(bound.render_to(out, Fields{std::nullopt}));
  }

  TEST_CASE("values are binary-safe")
  {
    const BoundTemplate bound = bind_ok("[{v}]", {"v"});
    const std::string value("a\0b\nc\xc3\xa9", 7);
    const auto rendered = bound.render(Fields{value});
    REQUIRE(rendered.has_value());
    CHECK(*rendered == "[" + value + "]");
    CHECK(rendered->size() == 9);
  }

  TEST_CASE("url escaping encodes values but not the literal text")
  {
    const BoundTemplate bound = bind_ok("/q?x={v}&y=1", {"v"});
    CHECK(bound.render(Fields{"a b/c&d"}, Escaping::url) == "/q?x=a%20b%2Fc%26d&y=1");
  }

  TEST_CASE("url escaping keeps unreserved characters")
  {
    std::string out;
    append_url_encoded(out, "AZaz09-._~");
    CHECK(out == "AZaz09-._~");
  }

  TEST_CASE("url escaping uses uppercase hex and encodes every other byte")
  {
    std::string out;
    append_url_encoded(out, std::string_view("\0\xff\xc3\xa9 +%", 7));
    CHECK(out == "%00%FF%C3%A9%20%2B%25");
  }

  TEST_CASE("url escaping appends to the existing output")
  {
    std::string out = "k=";
    append_url_encoded(out, "a/b");
    CHECK(out == "k=a%2Fb");
  }
}
