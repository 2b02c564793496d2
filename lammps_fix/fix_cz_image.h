/* -*- c++ -*- ----------------------------------------------------------
   cz — LAMMPS fix cz/image: HRTEM images of a group, every N steps of MD and once at the end of
   each minimisation, simulated by libczsim and written to HDF5. The imaging itself is C
   (lammps_fix/cz_lammps.c on libczsim); this class parses arguments, decides when to fire and
   gathers the atoms on rank 0. Manual: docs/lammps.md.
------------------------------------------------------------------------- */

#ifdef FIX_CLASS
// clang-format off
FixStyle(cz/image,FixCzImage);
// clang-format on
#else

#ifndef LMP_FIX_CZ_IMAGE_H
#define LMP_FIX_CZ_IMAGE_H

#include "fix.h"

#include <string>
#include <vector>

struct czi_lmp_imager;

namespace LAMMPS_NS {

class FixCzImage : public Fix {
 public:
  FixCzImage(class LAMMPS *, int, char **);
  ~FixCzImage() override;
  int setmask() override;
  void setup(int) override;
  void end_of_step() override;
  void post_run() override;

 private:
  std::string pattern;              // output file name, '*' replaced by the step
  std::vector<int> type_z;          // atomic number of each atom type (index type - 1)
  double vacuum;                    // < 0: image the box; else the atoms' extent + vacuum
  bigint last_step;                 // step of the last image (fire once per step)
  std::string program;              // the fix command, stored in every file
  std::string wisdom;               // FFTW wisdom file when given ("" = none)
  bool use_wisdom;                  // the wisdom keyword was given
  struct czi_lmp_imager *imager;    // rank 0 only

  void fire();
};

}    // namespace LAMMPS_NS

#endif
#endif
