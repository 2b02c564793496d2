/* -*- c++ -*- ----------------------------------------------------------
   cz — LAMMPS command cz_build: atoms of a cz scene spec created in LAMMPS.
   The scene is built by libczcore (cz_spec_parse_* + cz_spec_build); this class only parses
   the command's arguments and hands the atoms to LAMMPS. Manual: docs/lammps.md.
------------------------------------------------------------------------- */

#ifdef COMMAND_CLASS
// clang-format off
CommandStyle(cz_build,CzFill);
// clang-format on
#else

#ifndef LMP_CZ_FILL_H
#define LMP_CZ_FILL_H

#include "command.h"

namespace LAMMPS_NS {

class CzFill : public Command {
 public:
  CzFill(class LAMMPS *host) : Command(host) {}
  void command(int, char **) override;
};

}    // namespace LAMMPS_NS

#endif
#endif
