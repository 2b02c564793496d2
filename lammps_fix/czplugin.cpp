/* ----------------------------------------------------------------------
   cz — registration of the LAMMPS styles: command cz_build (CzFill) and fix cz/image
   (FixCzImage). Three ways in, one check:

   - cz_lammps_register(lmp): C-callable; inserts the creators into lmp->input->command_map and
     lmp->modify->fix_map, which is all LAMMPS needs to know a style. Used by the cz-lmp front
     end and, through ctypes on czplugin.so, by cz.lammps.register() in Python. This works on
     any LAMMPS, with or without the PLUGIN package (Debian's has none).
   - lammpsplugin_init(): the entry point of `plugin load czplugin.so` on LAMMPS builds with the
     PLUGIN package.
   - Both first compare the running LAMMPS (lammps_version(), integer sizes) with the headers the
     styles were compiled against, and refuse with a message naming both versions: a C++ style
     built for another LAMMPS would read the wrong class layouts.
------------------------------------------------------------------------- */

#include "cz_fill.h"
#include "fix_cz_image.h"

#include "error.h"
#include "input.h"
#include "lammps.h"
#include "lammpsplugin.h"
#include "library.h"
#include "modify.h"
#include "version.h"

#include <string>

#include "cz/cz_base.h"

#ifndef CZ_LAMMPS_BUILT_VERSION
#error "CZ_LAMMPS_BUILT_VERSION (YYYYMMDD of the LAMMPS headers) must be defined by the build"
#endif

#define CZ_LAMMPS_EXPORT extern "C" __attribute__((visibility("default")))

using namespace LAMMPS_NS;

namespace {

thread_local std::string last_error;

Command *cz_build_creator(LAMMPS *lmp)
{
  return new CzFill(lmp);
}

Fix *cz_image_creator(LAMMPS *lmp, int narg, char **arg)
{
  return new FixCzImage(lmp, narg, arg);
}

// The plugin API's factory types take and return void *.
void *cz_build_factory(void *lmp)
{
  return static_cast<Command *>(new CzFill(static_cast<LAMMPS *>(lmp)));
}

void *cz_image_factory(void *lmp, int narg, char **arg)
{
  return static_cast<Fix *>(new FixCzImage(static_cast<LAMMPS *>(lmp), narg, arg));
}

std::string version_text(int version)
{
  return std::to_string(version);
}

bool check_version(int running)
{
  if (running == CZ_LAMMPS_BUILT_VERSION) return true;
  last_error = "cz: the LAMMPS styles (cz_build, fix cz/image) were built for LAMMPS " +
      version_text(CZ_LAMMPS_BUILT_VERSION) + " (" LAMMPS_VERSION "), but the running LAMMPS is " +
      version_text(running) +
      ": rebuild cz against this LAMMPS's headers (scripts/lammps-headers.sh, docs/lammps.md)";
  return false;
}

bool check_sizes(void *handle)
{
  struct {
    const char *name;
    int built;
  } sizes[] = {{"bigint", (int) sizeof(bigint)},
               {"tagint", (int) sizeof(tagint)},
               {"imageint", (int) sizeof(imageint)}};
  for (const auto &s : sizes) {
    const int running = lammps_extract_setting(handle, s.name);
    if (running != s.built) {
      last_error = std::string("cz: the LAMMPS styles were built with ") + s.name + " of " +
          std::to_string(s.built) + " bytes, but the running LAMMPS " +
          version_text(lammps_version(handle)) + " uses " + std::to_string(running) +
          " (a different -DLAMMPS_SMALLBIG/BIGBIG/SMALLSMALL): rebuild cz against it";
      return false;
    }
  }
  return true;
}

bool check(void *handle)
{
  if (!handle) {
    last_error = "cz: no LAMMPS instance (NULL handle)";
    return false;
  }
  return check_version(lammps_version(handle)) && check_sizes(handle);
}

}    // namespace

/** Version (YYYYMMDD) of the LAMMPS headers the styles were compiled against. */
CZ_LAMMPS_EXPORT int cz_lammps_built_version(void)
{
  return CZ_LAMMPS_BUILT_VERSION;
}

/** Message of the last refused registration on this thread ("" if none). */
CZ_LAMMPS_EXPORT const char *cz_lammps_last_error(void)
{
  return last_error.c_str();
}

/** 0 when a LAMMPS of version `running` (YYYYMMDD) can host these styles, else -1 with the
 *  message in cz_lammps_last_error(). */
CZ_LAMMPS_EXPORT int cz_lammps_check_version(int running)
{
  return check_version(running) ? 0 : -1;
}

/** Register cz_build and fix cz/image with the LAMMPS instance `handle` (a LAMMPS_NS::LAMMPS *,
 *  as lammps_open() returns it). Collective only in the sense that every rank should call it.
 *  @return 0, or -1 (nothing registered) with the reason in cz_lammps_last_error(). */
CZ_LAMMPS_EXPORT int cz_lammps_register(void *handle)
{
  if (!check(handle)) return -1;
  auto *lmp = static_cast<LAMMPS *>(handle);
  (*lmp->input->command_map)["cz_build"] = &cz_build_creator;
  (*lmp->modify->fix_map)["cz/image"] = &cz_image_creator;
  last_error.clear();
  return 0;
}

/** Entry point of `plugin load czplugin.so` (LAMMPS with the PLUGIN package). */
CZ_LAMMPS_EXPORT void lammpsplugin_init(void *handle, void *dlhandle, void *regfunc)
{
  if (!check(handle)) static_cast<LAMMPS *>(handle)->error->all(FLERR, last_error);
  auto reg = reinterpret_cast<lammpsplugin_regfunc>(regfunc);
  lammpsplugin_t plugin;
  plugin.version = LAMMPS_VERSION;
  plugin.style = "command";
  plugin.name = "cz_build";
  plugin.info = "cz scene builder " CZ_VERSION_STRING;
  plugin.author = "cz";
  plugin.creator.v1 = &cz_build_factory;
  plugin.handle = dlhandle;
  (*reg)(&plugin, handle);

  plugin.style = "fix";
  plugin.name = "cz/image";
  plugin.info = "cz HRTEM imaging " CZ_VERSION_STRING;
  plugin.creator.v2 = &cz_image_factory;
  (*reg)(&plugin, handle);
}
