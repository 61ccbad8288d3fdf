#include "../../src/sources/key_lists_detail.hpp"
#include "support/key_lists.hpp"
#include "support/results.hpp"
#include "support/sources.hpp"

#include "cachewarm/sources/key_lists.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <optional>
#include <string>

using cachewarm::core::Errc;
using cachewarm::sources::KeyListFormat;
using cachewarm::sources::parse_key_document;
using cachewarm::sources::detail::url_path;
using namespace cachewarm::test;

TEST_SUITE("sources::sitemap_keys")
{
  TEST_CASE("sitemap: every <loc> gives {url, path}, the url is the key, with a size hint")
  {
    auto source = parse_ok("<?xml version=\"1.0\"?>\n"
                           "<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n"
                           "<url><loc>https://example.com/a/b?x=1#frag</loc></url>\n"
                           "<url><loc>https://example.com</loc></url>\n"
                           "<url><loc>http://h:8080?q</loc></url>\n"
                           "</urlset>\n",
                           key_options(KeyListFormat::sitemap));
    CHECK(source->fields() == Strings{"url", "path"});
    CHECK(source->size_hint() == std::optional<std::uint64_t>(3));
    const Drained out = drain(*source);
    CHECK(keys_of(out.rows)
          == Strings{"https://example.com/a/b?x=1#frag", "https://example.com", "http://h:8080?q"});
    REQUIRE(out.rows.size() == 3);
    CHECK(out.rows[0].fields == Fields{"https://example.com/a/b?x=1#frag", "/a/b?x=1"});
    CHECK(out.rows[1].fields == Fields{"https://example.com", "/"});
    CHECK(out.rows[2].fields == Fields{"http://h:8080?q", "/?q"});
  }

  TEST_CASE("sitemap: whitespace is trimmed, entities and character references decoded")
  {
    const Drained out = drain(
        *parse_ok("<urlset><url><loc>\n   https://e.com/s?a=1&amp;b=&lt;&gt;&quot;&apos;\n </loc>"
                  "</url><url><loc>https://e.com/caf&#233;/&#xE9;&#x1F600;</loc></url>"
                  "<url><loc><![CDATA[https://e.com/raw?a=1&b=2]]></loc></url></urlset>",
                  key_options(KeyListFormat::sitemap)));
    CHECK(out.failures.empty());
    CHECK(keys_of(out.rows)
          == Strings{"https://e.com/s?a=1&b=<>\"'",
                     "https://e.com/café/é\xF0\x9F\x98\x80",
                     "https://e.com/raw?a=1&b=2"});
  }

  TEST_CASE("sitemap: a sitemap index's <loc> entries are read the same way, without recursion")
  {
    const Drained out =
        drain(*open_ok(key_fixture("sitemap_index.xml"), key_options(KeyListFormat::sitemap)));
    CHECK(keys_of(out.rows)
          == Strings{"https://example.com/sitemap-pages.xml",
                     "https://example.com/sitemap-posts.xml?year=2024"});
    REQUIRE(out.rows.size() == 2);
    CHECK(out.rows[1].fields[1] == "/sitemap-posts.xml?year=2024");
  }

  TEST_CASE("sitemap: comments, <location> and <image:loc> are not <loc>")
  {
    const Drained out = drain(*parse_ok("<urlset><!-- <loc>https://e.com/commented</loc> -->\n"
                                        "<url><loc >https://e.com/a</loc >"
                                        "<image:image><image:loc>https://e.com/i.png</image:loc>"
                                        "</image:image><location>x</location></url></urlset>",
                                        key_options(KeyListFormat::sitemap)));
    CHECK(keys_of(out.rows) == Strings{"https://e.com/a"});
  }

  TEST_CASE("sitemap: an unterminated <loc> is a source error naming the origin and line")
  {
    CHECK(error_message(parse_key_document("<urlset>\n<url><loc>https://e.com/a</loc></url>\n"
                                           "<url><loc>https://e.com/b</url>\n</urlset>\n",
                                           "http://site/sitemap.xml",
                                           key_options(KeyListFormat::sitemap)),
                        Errc::source)
          == "http://site/sitemap.xml: line 3: unterminated <loc>");

    auto at_end =
        parse_key_document("<loc>https://e.com", "s.xml", key_options(KeyListFormat::sitemap));
    REQUIRE(!at_end);
    CHECK(at_end.error().message == "s.xml: line 1: unterminated <loc>");
  }

  TEST_CASE("sitemap: bad entities and empty <loc> are bad rows naming their line")
  {
    const Drained out = drain(*parse_ok("<urlset>\n"
                                        "<url><loc>https://e.com/&nbsp;</loc></url>\n"
                                        "<url><loc>https://e.com/&#0;</loc></url>\n"
                                        "<url><loc>https://e.com/a & b</loc></url>\n"
                                        "<url><loc>  </loc></url>\n"
                                        "<url><loc/></url>\n"
                                        "<url><loc>https://e.com/ok</loc></url>\n"
                                        "</urlset>",
                                        key_options(KeyListFormat::sitemap)));
    CHECK(keys_of(out.rows) == Strings{"https://e.com/ok"});
    CHECK(messages_of(out.failures)
          == Strings{"line 2: unknown entity &nbsp;",
                     "line 3: invalid character reference &#0;",
                     "line 4: '&' without ';'",
                     "line 5: empty key",
                     "line 6: empty <loc/>"});
  }

  TEST_CASE("sitemap: a key template over {path}")
  {
    const Drained out = drain(*open_ok(key_fixture("sitemap.xml"),
                                       key_options(KeyListFormat::sitemap, "", "page:{path}")));
    CHECK(keys_of(out.rows) == Strings{"page:/", "page:/search?q=a&page=2", "page:/café"});
    REQUIRE(out.rows.size() == 3);
    CHECK(out.rows[2].fields == Fields{"https://example.com/café#top", "/café"});
  }

  TEST_CASE("url_path is the path and query of a URL, without its fragment")
  {
    CHECK(url_path("https://h/a/b?q=1#f") == "/a/b?q=1");
    CHECK(url_path("https://h") == "/");
    CHECK(url_path("http://h:8080?q") == "/?q");
    CHECK(url_path("https://h#top") == "/");
    CHECK(url_path("/abs#frag") == "/abs");
    CHECK(url_path("relative/x") == "/relative/x");
    CHECK(url_path("a/b://c") == "/a/b://c"); // "a/b" is no scheme
  }
}
