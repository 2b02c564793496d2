/* ----------------------------------------------------------------------
   cz — LAMMPS command cz_build (class CzFill).

   cz_build SPEC.yaml [keyword value ...]
   cz_build inline "YAML" [keyword value ...]

   Rank 0 parses and builds the scene with libczcore (cz_spec_parse_file or
   cz_spec_parse_string, then cz_spec_build), the atoms are broadcast, and every rank keeps
   those in its sub-domain through lammps_create_atoms() with explicit atom IDs, so atom ID
   (first + i) is atom i of the scene whatever the number of ranks. Manual: docs/lammps.md.
------------------------------------------------------------------------- */

#include "cz_fill.h"

#include "atom.h"
#include "comm.h"
#include "domain.h"
#include "error.h"
#include "group.h"
#include "input.h"
#include "library.h"
#include "modify.h"

#include <algorithm>
#include <climits>
#include <cstring>
#include <string>
#include <vector>

#include "cz/cz_atoms.h"
#include "cz/cz_elements.h"
#include "cz/cz_error.h"
#include "cz/cz_spec.h"

using namespace LAMMPS_NS;

namespace {

const char *const KEYWORDS[] = {"seed", "types", "labels", "shift", "group", "max_atoms", nullptr};

bool is_keyword(const char *word)
{
  for (int k = 0; KEYWORDS[k]; ++k)
    if (strcmp(word, KEYWORDS[k]) == 0) return true;
  return false;
}

// LAMMPS groups for the cz atom classes (the same names cz_relax gives them).
const char *const CLASS_GROUPS[] = {"cz_none", "cz_particle", "cz_substrate", "cz_ligand"};
const int NCLASS = 4;

}    // namespace

/* ---------------------------------------------------------------------- */

void CzFill::command(int narg, char **arg)
{
  if (narg < 1) error->all(FLERR, "Illegal cz_build command: expected SPEC.yaml or inline TEXT");
  if (atom->tag_enable == 0) error->all(FLERR, "cz_build: the atom style must have atom IDs");

  // Arguments are copied first: creating the box below runs other commands, which reuse the
  // input buffers that arg points into.

  std::string spec_file, spec_text;
  int iarg = 1;
  if (strcmp(arg[0], "inline") == 0) {
    if (narg < 2) error->all(FLERR, "Illegal cz_build command: inline needs the YAML text");
    spec_text = arg[1];
    iarg = 2;
  } else {
    spec_file = arg[0];
  }
  bool use_seed = false, labels = true;
  bigint seed = 0, max_atoms = 0;
  std::vector<int> type_z;    // element of each atom type, when given
  double shift[3] = {0.0, 0.0, 0.0};
  std::string group_name;

  while (iarg < narg) {
    const char *key = arg[iarg];
    if (strcmp(key, "seed") == 0) {
      if (iarg + 2 > narg) error->all(FLERR, "Illegal cz_build command: seed needs a value");
      seed = utils::bnumeric(FLERR, arg[iarg + 1], false, lmp);
      if (seed < 0) error->all(FLERR, "cz_build: seed must be >= 0 (got {})", arg[iarg + 1]);
      use_seed = true;
      iarg += 2;
    } else if (strcmp(key, "types") == 0) {
      type_z.clear();
      for (++iarg; iarg < narg && !is_keyword(arg[iarg]); ++iarg) {
        int z = 0;
        if (cz_element_from_symbol(arg[iarg], &z) != CZ_OK)
          error->all(FLERR, "cz_build: unknown element '{}' after types", arg[iarg]);
        if (std::find(type_z.begin(), type_z.end(), z) != type_z.end())
          error->all(FLERR, "cz_build: element '{}' is given twice after types", arg[iarg]);
        type_z.push_back(z);
      }
      if (type_z.empty()) error->all(FLERR, "cz_build: types needs one element per atom type");
    } else if (strcmp(key, "labels") == 0) {
      if (iarg + 2 > narg) error->all(FLERR, "Illegal cz_build command: labels needs yes or no");
      if (strcmp(arg[iarg + 1], "yes") == 0)
        labels = true;
      else if (strcmp(arg[iarg + 1], "no") == 0)
        labels = false;
      else
        error->all(FLERR, "cz_build: labels must be yes or no (got '{}')", arg[iarg + 1]);
      iarg += 2;
    } else if (strcmp(key, "shift") == 0) {
      if (iarg + 4 > narg) error->all(FLERR, "Illegal cz_build command: shift needs dx dy dz");
      for (int k = 0; k < 3; ++k) shift[k] = utils::numeric(FLERR, arg[iarg + 1 + k], false, lmp);
      iarg += 4;
    } else if (strcmp(key, "group") == 0) {
      if (iarg + 2 > narg) error->all(FLERR, "Illegal cz_build command: group needs a name");
      group_name = arg[iarg + 1];
      iarg += 2;
    } else if (strcmp(key, "max_atoms") == 0) {
      if (iarg + 2 > narg) error->all(FLERR, "Illegal cz_build command: max_atoms needs a value");
      max_atoms = utils::bnumeric(FLERR, arg[iarg + 1], false, lmp);
      if (max_atoms < 1)
        error->all(FLERR, "cz_build: max_atoms must be >= 1 (got {})", arg[iarg + 1]);
      iarg += 2;
    } else {
      error->all(FLERR, "cz_build: unknown keyword '{}'", key);
    }
  }

  // Build on rank 0; the scene is deterministic, but one build is cheaper than nprocs.

  int status = CZ_OK;
  bigint n = 0;
  uint64_t seed_used = 0;
  double cell[9] = {0.0};
  std::vector<double> x;
  std::vector<int> z, object, grain, klass;
  if (comm->me == 0) {
    cz_spec *spec = nullptr;
    cz_atoms *atoms = nullptr;
    cz_status st = spec_file.empty() ? cz_spec_parse_string(spec_text.c_str(), "inline", &spec)
                                     : cz_spec_parse_file(spec_file.c_str(), &spec);
    if (st == CZ_OK) {
      cz_spec_build_opts opts;
      cz_spec_build_opts_default(&opts);
      opts.use_seed = use_seed ? 1 : 0;
      opts.seed = (uint64_t) seed;
      if (max_atoms > 0) opts.max_atoms = (size_t) max_atoms;
      opts.nthreads = comm->nthreads;
      st = cz_spec_build(spec, &opts, &atoms, &seed_used);
    }
    cz_spec_destroy(spec);
    status = st;
    if (st == CZ_OK) {
      n = (bigint) atoms->n;
      if (n <= INT_MAX / 3) {
        x.assign(&atoms->xyz[0][0], &atoms->xyz[0][0] + 3 * atoms->n);
        z.assign(atoms->z, atoms->z + atoms->n);
        object.assign(atoms->object_id, atoms->object_id + atoms->n);
        grain.assign(atoms->grain_id, atoms->grain_id + atoms->n);
        klass.assign(atoms->class_id, atoms->class_id + atoms->n);
        memcpy(cell, atoms->cell, sizeof cell);
      }
    }
    cz_atoms_destroy(atoms);
  }
  MPI_Bcast(&status, 1, MPI_INT, 0, world);
  if (status != CZ_OK) error->all(FLERR, "cz_build: {}", comm->me == 0 ? cz_last_error() : "");
  MPI_Bcast(&n, 1, MPI_LMP_BIGINT, 0, world);
  if (n > INT_MAX / 3)
    error->all(FLERR, "cz_build: the scene has {} atoms, more than one cz_build can create ({})", n,
               INT_MAX / 3);
  MPI_Bcast(&seed_used, 1, MPI_UINT64_T, 0, world);
  MPI_Bcast(cell, 9, MPI_DOUBLE, 0, world);
  x.resize(3 * n);
  z.resize(n);
  object.resize(n);
  grain.resize(n);
  klass.resize(n);
  const int count = (int) n;
  if (count > 0) {
    MPI_Bcast(x.data(), 3 * count, MPI_DOUBLE, 0, world);
    MPI_Bcast(z.data(), count, MPI_INT, 0, world);
    MPI_Bcast(object.data(), count, MPI_INT, 0, world);
    MPI_Bcast(grain.data(), count, MPI_INT, 0, world);
    MPI_Bcast(klass.data(), count, MPI_INT, 0, world);
  }

  // Atom types: those given, else the elements present in increasing Z (as cz's data files).

  std::vector<int> zlist = type_z;
  if (zlist.empty()) {
    zlist = z;
    std::sort(zlist.begin(), zlist.end());
    zlist.erase(std::unique(zlist.begin(), zlist.end()), zlist.end());
  }
  std::vector<int> type_of(119, 0);
  for (size_t k = 0; k < zlist.size(); ++k) type_of[zlist[k]] = (int) k + 1;
  std::vector<int> type(n);
  for (int i = 0; i < count; ++i) {
    type[i] = (z[i] >= 1 && z[i] <= 118) ? type_of[z[i]] : 0;
    if (type[i] == 0)
      error->all(FLERR, "cz_build: the scene has {} (Z = {}) but types does not list it",
                 cz_element_symbol(z[i]), z[i]);
  }
  const int ntypes = zlist.empty() ? 1 : (int) zlist.size();

  // The box: the scene's cell when there is none yet (LAMMPS's form: a along x, b in xy).

  if (!domain->box_exist) {
    const double *a = cell, *b = cell + 3, *c = cell + 6;
    if (a[1] != 0.0 || a[2] != 0.0 || b[2] != 0.0 || !(a[0] > 0.0) || !(b[1] > 0.0) ||
        !(c[2] > 0.0))
      error->all(FLERR,
                 "cz_build: the scene's cell (a = {} {} {}, b = {} {} {}, c = {} {} {}) is not a "
                 "LAMMPS box (a along +x, b in the xy plane, c up): create the box first",
                 a[0], a[1], a[2], b[0], b[1], b[2], c[0], c[1], c[2]);
    if (b[0] != 0.0 || c[0] != 0.0 || c[1] != 0.0)
      input->one(fmt::format("region cz_box prism 0 {:.17g} 0 {:.17g} 0 {:.17g} {:.17g} {:.17g} "
                             "{:.17g} units box",
                             a[0], b[1], c[2], b[0], c[0], c[1]));
    else
      input->one(fmt::format("region cz_box block 0 {:.17g} 0 {:.17g} 0 {:.17g} units box", a[0],
                             b[1], c[2]));
    input->one(fmt::format("create_box {} cz_box", ntypes));
    input->one("region cz_box delete");
  } else if (ntypes > atom->ntypes) {
    error->all(FLERR, "cz_build: the scene needs {} atom types ({}) but the box has {}", ntypes,
               type_z.empty() ? "one per element" : "types", atom->ntypes);
  }

  // Per-atom labels: integer vectors of a fix property/atom, made before the atoms are. With
  // labels no, new atoms still get defined values (0) if an earlier build made the vectors.

  int iobject = -1, igrain = -1, iclass = -1;
  int flag = -1, cols = -1;
  if (labels && atom->find_custom("cz_object", flag, cols) < 0)
    modify->add_fix("cz_labels all property/atom i_cz_object i_cz_grain i_cz_class");
  if (atom->find_custom("cz_object", flag, cols) >= 0) {
    const char *names[3] = {"cz_object", "cz_grain", "cz_class"};
    int *index[3] = {&iobject, &igrain, &iclass};
    for (int k = 0; k < 3; ++k) {
      *index[k] = atom->find_custom(names[k], flag, cols);
      if (*index[k] < 0 || flag != 0 || cols != 0)
        error->all(FLERR, "cz_build: per-atom property i_{} is missing or not an integer vector",
                   names[k]);
    }
  }
  const bool have_labels = iobject >= 0;

  // New atom IDs follow the largest one; object and grain ids follow those of earlier builds.

  tagint maxtag = 0;
  int maxlabel[2] = {0, 0};
  for (int i = 0; i < atom->nlocal; ++i) {
    maxtag = MAX(maxtag, atom->tag[i]);
    if (have_labels) {
      maxlabel[0] = MAX(maxlabel[0], atom->ivector[iobject][i]);
      maxlabel[1] = MAX(maxlabel[1], atom->ivector[igrain][i]);
    }
  }
  tagint maxtag_all = 0;
  int maxlabel_all[2] = {0, 0};
  MPI_Allreduce(&maxtag, &maxtag_all, 1, MPI_LMP_TAGINT, MPI_MAX, world);
  MPI_Allreduce(maxlabel, maxlabel_all, 2, MPI_INT, MPI_MAX, world);
  if ((bigint) maxtag_all + n > (bigint) MAXTAGINT)
    error->all(FLERR, "cz_build: {} more atoms would take atom IDs beyond {}", n, MAXTAGINT);

  std::vector<tagint> ids(n);
  double lo[3] = {0.0, 0.0, 0.0}, hi[3] = {0.0, 0.0, 0.0};
  for (int i = 0; i < count; ++i) {
    ids[i] = maxtag_all + 1 + i;
    for (int k = 0; k < 3; ++k) {
      x[3 * i + k] += shift[k];
      if (i == 0 || x[3 * i + k] < lo[k]) lo[k] = x[3 * i + k];
      if (i == 0 || x[3 * i + k] > hi[k]) hi[k] = x[3 * i + k];
    }
  }

  int created = 0;
  if (count > 0)
    created =
        lammps_create_atoms(lmp, count, ids.data(), type.data(), x.data(), nullptr, nullptr, 1);
  if (created != count)
    error->all(FLERR,
               "cz_build: only {} of {} atoms lie inside the box (non-periodic boundaries): the "
               "scene spans x {:.6g}..{:.6g}, y {:.6g}..{:.6g}, z {:.6g}..{:.6g}, the box x "
               "{:.6g}..{:.6g}, y {:.6g}..{:.6g}, z {:.6g}..{:.6g} (use shift or a larger box)",
               created, count, lo[0], hi[0], lo[1], hi[1], lo[2], hi[2], domain->boxlo[0],
               domain->boxhi[0], domain->boxlo[1], domain->boxhi[1], domain->boxlo[2],
               domain->boxhi[2]);

  // Labels and groups of the new atoms on this rank.

  int present[NCLASS] = {0, 0, 0, 0}, present_all[NCLASS];
  for (int i = 0; i < count; ++i)
    if (klass[i] >= 0 && klass[i] < NCLASS) present[klass[i]] = 1;
  MPI_Allreduce(present, present_all, NCLASS, MPI_INT, MPI_MAX, world);
  int classbit[NCLASS] = {0, 0, 0, 0};
  if (labels)
    for (int c = 0; c < NCLASS; ++c)
      if (present_all[c]) classbit[c] = group->bitmask[group->find_or_create(CLASS_GROUPS[c])];
  const int userbit =
      group_name.empty() ? 0 : group->bitmask[group->find_or_create(group_name.c_str())];

  const tagint first = maxtag_all + 1;
  for (int i = 0; i < atom->nlocal; ++i) {
    const tagint t = atom->tag[i];
    if (t < first || t >= first + count) continue;
    const int k = (int) (t - first);
    if (have_labels) {
      int obj = 0, grn = 0, cls = 0;
      if (labels) {
        obj = object[k] > 0 ? object[k] + maxlabel_all[0] : object[k];
        grn = grain[k] > 0 ? grain[k] + maxlabel_all[1] : grain[k];
        cls = klass[k];
      }
      atom->ivector[iobject][i] = obj;
      atom->ivector[igrain][i] = grn;
      atom->ivector[iclass][i] = cls;
    }
    if (labels && klass[k] >= 0 && klass[k] < NCLASS) atom->mask[i] |= classbit[klass[k]];
    atom->mask[i] |= userbit;
  }

  // Masses of the types this command defined, unless set already (a pair style may set them).

  if (atom->mass)
    for (size_t k = 0; k < zlist.size(); ++k)
      if (!atom->mass_setflag[k + 1]) atom->set_mass(FLERR, (int) k + 1, cz_element_mass(zlist[k]));

  if (comm->me == 0) {
    std::string composition;
    for (size_t k = 0; k < zlist.size(); ++k) {
      const bigint nz = std::count(z.begin(), z.end(), zlist[k]);
      if (nz > 0)
        composition += fmt::format("{}{} {} (type {})", composition.empty() ? "" : ", ",
                                   cz_element_symbol(zlist[k]), nz, k + 1);
    }
    utils::logmesg(lmp, "cz_build: created {} atoms ({}) from {}, seed {}\n", count, composition,
                   spec_file.empty() ? "inline spec" : spec_file, seed_used);
  }
}
