/* ----------------------------------------------------------------------
   cz-lmp — LAMMPS with cz's styles (cz_build, fix cz/image) registered: a drop-in for `lmp`
   where LAMMPS has no PLUGIN package (Debian's). Every command-line argument goes to LAMMPS
   unchanged (-in, -var, -log, -screen, -echo, -partition, ...); without -in the input is read
   from standard input, as lmp does. MPI-aware: run it under mpirun like lmp.

     cz-lmp -in in.particle -var seed 7
     mpirun -np 4 cz-lmp -in in.particle
------------------------------------------------------------------------- */

#include "error.h"
#include "input.h"
#include "lammps.h"

#include <mpi.h>

extern "C" int cz_lammps_register(void *handle);
extern "C" const char *cz_lammps_last_error(void);

using namespace LAMMPS_NS;

int main(int argc, char **argv)
{
  MPI_Init(&argc, &argv);
  auto *lmp = new LAMMPS(argc, argv, MPI_COMM_WORLD);
  // A refusal (LAMMPS other than the one the styles were built for) is a LAMMPS error: an
  // ERROR line, exit status 1.
  if (cz_lammps_register(lmp) != 0) lmp->error->all(FLERR, cz_lammps_last_error());
  lmp->input->file();
  delete lmp;
  MPI_Barrier(MPI_COMM_WORLD);
  MPI_Finalize();
  return 0;
}
