#include "cachewarm/manifest/manifest.hpp"

#include <string_view>
#include <vector>

namespace cachewarm::manifest {

namespace {

// Linear search: manifests hold a handful of entries, and names are unique after validation.
template <class Spec>
const Spec*
find_by_name(const std::vector<Spec>& specs, std::string_view name)
{
  for (const Spec& spec : specs) {
    if (spec.name == name) {
      return &spec;
    }
  }
  return nullptr;
}

} // namespace

const TargetSpec*
Manifest::find_target(std::string_view name) const
{
  return find_by_name(targets, name);
}

const SourceSpec*
Manifest::find_source(std::string_view name) const
{
  return find_by_name(sources, name);
}

const ScheduleSpec*
Manifest::find_schedule(std::string_view name) const
{
  return find_by_name(schedules, name);
}

const GroupSpec*
Manifest::find_group(std::string_view name) const
{
  return find_by_name(groups, name);
}

std::string_view
to_string(SourceKind kind)
{
  switch (kind) {
  case SourceKind::sqlite:
    return "sqlite";
  case SourceKind::postgres:
    return "postgres";
  case SourceKind::http:
    return "http";
  }
  return "unknown";
}

} // namespace cachewarm::manifest
