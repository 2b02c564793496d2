/* ----------------------------------------------------------------------
   cz — LAMMPS fix cz/image (class FixCzImage).

   fix ID group cz/image N FILE elements El1 El2 ... [keyword value ...]

   Fires like a dump: at every step of a run that is a multiple of N (including the run's
   first step when it is one), and once at the end of every minimisation (post_run with
   whichflag 2, which LAMMPS calls exactly once per minimize; the minimiser's force hooks are
   called many times per iteration and are not used). Never twice for one step. Each firing
   gathers the group on rank 0 in atom-ID order and hands it to czi_lmp_imager_fire
   (cz_lammps.c), the same pipeline as `cz image`. Manual: docs/lammps.md.
------------------------------------------------------------------------- */

#include "fix_cz_image.h"

#include "atom.h"
#include "comm.h"
#include "domain.h"
#include "error.h"
#include "group.h"
#include "update.h"

#include <algorithm>
#include <cctype>
#include <climits>
#include <cstring>
#include <numeric>

#include "cz/cz_elements.h"
#include "cz_lammps.h"

using namespace LAMMPS_NS;
using namespace FixConst;

namespace {

// The keywords, named as `cz image`'s long options with underscores (docs/lammps.md).
// clang-format off
const char *const KEYWORDS[] = {
    "elements", "energy_kv", "sampling", "grid", "fft_friendly", "slice", "potential", "spread",
    "antialias", "antialias_taper", "refuse_outside", "max_pixels", "threads", "fftw", "wisdom",
    "defocus", "cs_mm", "c5_mm", "aberration", "aperture_mrad", "aperture_taper_mrad",
    "focal_spread", "convergence_mrad", "exit_wave", "write_potential", "vacuum", "seed", nullptr};
// clang-format on

bool is_keyword(const char *word)
{
  for (int k = 0; KEYWORDS[k]; ++k)
    if (strcmp(word, KEYWORDS[k]) == 0) return true;
  return false;
}

}    // namespace

/* ---------------------------------------------------------------------- */

FixCzImage::FixCzImage(LAMMPS *host, int narg, char **arg) :
    Fix(host, narg, arg), vacuum(-1.0), last_step(-1), use_wisdom(false), imager(nullptr)
{
  if (narg < 5)
    error->all(FLERR,
               "Illegal fix cz/image command: expected fix ID group cz/image N FILE "
               "elements El1 El2 ... [keyword value ...]");
  dynamic_group_allow = 1;    // the group is read afresh at every firing
  nevery = utils::inumeric(FLERR, arg[3], false, lmp);
  if (nevery <= 0) error->all(FLERR, "fix cz/image: N must be > 0 (got {})", arg[3]);
  pattern = arg[4];
  if (pattern.find('*') == std::string::npos)
    error->all(FLERR, "fix cz/image: the file name must contain '*' for the step number (got '{}')",
               arg[4]);
  if (domain->triclinic)
    error->all(FLERR, "fix cz/image: the simulator needs an orthogonal box, this one is triclinic");

  czi_lmp_image_opts opts;
  memset(&opts, 0, sizeof opts);
  cz_sim_opts_default(&opts.sim);
  cz_sim_ctf_default(&opts.ctf);
  opts.sim.nthreads = comm->nthreads;
  opts.write_wave = 1;
  std::vector<double> defocus(1, 0.0);
  std::vector<char> scherzer(1, 0);

  // Value checks name the keyword and the text given, as `cz image` does.
  auto real = [&](int i) {
    return utils::numeric(FLERR, arg[i], false, lmp);
  };
  auto positive = [&](int i) {
    double v = real(i);
    if (!(v > 0)) error->all(FLERR, "fix cz/image: {} must be > 0 (got {})", arg[i - 1], arg[i]);
    return v;
  };
  auto nonnegative = [&](int i) {
    double v = real(i);
    if (!(v >= 0)) error->all(FLERR, "fix cz/image: {} must be >= 0 (got {})", arg[i - 1], arg[i]);
    return v;
  };
  auto yesno = [&](int i) {
    if (strcmp(arg[i], "yes") == 0) return true;
    if (strcmp(arg[i], "no") != 0)
      error->all(FLERR, "fix cz/image: {} must be yes or no (got '{}')", arg[i - 1], arg[i]);
    return false;
  };
  auto choice = [&](int i, const char *first, const char *second) {
    if (strcmp(arg[i], first) == 0) return 0;
    if (strcmp(arg[i], second) != 0)
      error->all(FLERR, "fix cz/image: {} must be {} or {} (got '{}')", arg[i - 1], first, second,
                 arg[i]);
    return 1;
  };
  auto flag = [&](unsigned bit, bool on) {
    if (on)
      opts.sim.flags |= bit;
    else
      opts.sim.flags &= ~bit;
  };

  int iarg = 5;
  while (iarg < narg) {
    const char *key = arg[iarg];
    if (!is_keyword(key)) error->all(FLERR, "fix cz/image: unknown keyword '{}'", key);
    const bool list = strcmp(key, "elements") == 0 || strcmp(key, "defocus") == 0;
    const int nvalues = strcmp(key, "grid") == 0 ? 2 : strcmp(key, "aberration") == 0 ? 3 : 1;
    if (!list && iarg + 1 + nvalues > narg)
      error->all(FLERR, "Illegal fix cz/image command: {} needs {} value{}", key, nvalues,
                 nvalues > 1 ? "s" : "");
    const int v = iarg + 1;
    if (strcmp(key, "elements") == 0) {
      type_z.clear();
      for (iarg = v; iarg < narg && !is_keyword(arg[iarg]); ++iarg) {
        int z = 0;
        if (cz_element_from_symbol(arg[iarg], &z) != CZ_OK || z > CZ_SIM_ZMAX)
          error->all(FLERR, "fix cz/image: unknown element '{}' after elements", arg[iarg]);
        type_z.push_back(z);
      }
      continue;
    } else if (strcmp(key, "defocus") == 0) {
      defocus.clear();
      scherzer.clear();
      for (iarg = v; iarg < narg && !is_keyword(arg[iarg]); ++iarg) {
        const bool s = strcmp(arg[iarg], "scherzer") == 0;
        defocus.push_back(s ? 0.0 : real(iarg));
        scherzer.push_back(s ? 1 : 0);
        if (defocus.size() > CZI_LMP_MAX_DEFOCUS)
          error->all(FLERR, "fix cz/image: more than {} defocus values", CZI_LMP_MAX_DEFOCUS);
      }
      if (defocus.empty())
        error->all(FLERR, "fix cz/image: defocus needs values in Å or 'scherzer'");
      continue;
    } else if (strcmp(key, "energy_kv") == 0) {
      opts.sim.energy_ev = positive(v) * 1e3;
    } else if (strcmp(key, "sampling") == 0) {
      opts.sim.sampling = positive(v);
      opts.sim.nx = opts.sim.ny = 0;    // the last of grid and sampling decides
    } else if (strcmp(key, "grid") == 0) {
      for (int k = 0; k < 2; ++k) {
        const bigint g = utils::bnumeric(FLERR, arg[v + k], false, lmp);
        if (g < 1 || g > (bigint) 1 << 30)
          error->all(FLERR, "fix cz/image: grid sizes must be 1..2^30 (got {})", arg[v + k]);
        (k == 0 ? opts.sim.nx : opts.sim.ny) = (size_t) g;
      }
    } else if (strcmp(key, "fft_friendly") == 0) {
      flag(CZ_SIM_FFT_FRIENDLY, yesno(v));
    } else if (strcmp(key, "slice") == 0) {
      opts.sim.slice_thickness = positive(v);
    } else if (strcmp(key, "potential") == 0) {
      opts.sim.param = choice(v, "kirkland", "lobato") == 0 ? CZ_SIM_KIRKLAND : CZ_SIM_LOBATO;
    } else if (strcmp(key, "spread") == 0) {
      opts.sim.spread = choice(v, "bspline", "abtem") == 0 ? CZ_SIM_SPREAD_BSPLINE
                                                           : CZ_SIM_SPREAD_ABTEM;
    } else if (strcmp(key, "antialias") == 0) {
      opts.sim.antialias_cutoff = positive(v);
      if (opts.sim.antialias_cutoff > 1)
        error->all(FLERR, "fix cz/image: antialias must be in (0, 1] (got {})", arg[v]);
    } else if (strcmp(key, "antialias_taper") == 0) {
      opts.sim.antialias_taper = nonnegative(v);
    } else if (strcmp(key, "refuse_outside") == 0) {
      flag(CZ_SIM_REFUSE_OUTSIDE, yesno(v));
    } else if (strcmp(key, "max_pixels") == 0) {
      const bigint m = utils::bnumeric(FLERR, arg[v], false, lmp);
      if (m < 1) error->all(FLERR, "fix cz/image: max_pixels must be >= 1 (got {})", arg[v]);
      opts.sim.max_pixels = (size_t) m;
    } else if (strcmp(key, "threads") == 0) {
      const int t = utils::inumeric(FLERR, arg[v], false, lmp);
      if (t < 0 || t > 4096)
        error->all(FLERR, "fix cz/image: threads must be 0..4096 (got {})", arg[v]);
      opts.sim.nthreads = t;
    } else if (strcmp(key, "fftw") == 0) {
      flag(CZ_SIM_FFTW_ESTIMATE, choice(v, "measure", "estimate") == 1);
    } else if (strcmp(key, "wisdom") == 0) {
      wisdom = strcmp(arg[v], "none") == 0 ? "" : arg[v];
      use_wisdom = true;
    } else if (strcmp(key, "cs_mm") == 0) {
      opts.ctf.c[3][0] = real(v) * 1e7;    // mm -> Å
    } else if (strcmp(key, "c5_mm") == 0) {
      opts.ctf.c[5][0] = real(v) * 1e7;
    } else if (strcmp(key, "aberration") == 0) {
      const char *name = arg[v];
      int n = -1, m = -1;
      if (strlen(name) == 3 && (name[0] == 'C' || name[0] == 'c') &&
          isdigit((unsigned char) name[1]) && isdigit((unsigned char) name[2])) {
        n = name[1] - '0';
        m = name[2] - '0';
      }
      if (n < 1 || n > 5 || m > n + 1 || (n + m) % 2 == 0 || (n == 1 && m == 0))
        error->all(FLERR,
                   "fix cz/image: aberration must be one of C12 C21 C23 C30 C32 C34 C41 "
                   "C43 C45 C50 C52 C54 C56 (got '{}'; defocus sets C10)",
                   name);
      opts.ctf.c[n][m] = real(v + 1);
      opts.ctf.phi_deg[n][m] = real(v + 2);
    } else if (strcmp(key, "aperture_mrad") == 0) {
      opts.ctf.aperture_mrad = nonnegative(v);
    } else if (strcmp(key, "aperture_taper_mrad") == 0) {
      opts.ctf.aperture_taper_mrad = nonnegative(v);
    } else if (strcmp(key, "focal_spread") == 0) {
      opts.ctf.focal_spread = nonnegative(v);
    } else if (strcmp(key, "convergence_mrad") == 0) {
      opts.ctf.convergence_mrad = nonnegative(v);
    } else if (strcmp(key, "exit_wave") == 0) {
      opts.write_wave = yesno(v) ? 1 : 0;
    } else if (strcmp(key, "write_potential") == 0) {
      opts.write_potential = yesno(v) ? 1 : 0;
    } else if (strcmp(key, "vacuum") == 0) {
      vacuum = nonnegative(v);
    } else if (strcmp(key, "seed") == 0) {
      const bigint s = utils::bnumeric(FLERR, arg[v], false, lmp);
      if (s < 0) error->all(FLERR, "fix cz/image: seed must be >= 0 (got {})", arg[v]);
      opts.seed = (uint64_t) s;
    }
    iarg = v + nvalues;
  }

  if (type_z.empty())
    error->all(FLERR, "fix cz/image: give the element of each atom type: elements El1 El2 ...");
  if ((int) type_z.size() != atom->ntypes)
    error->all(FLERR, "fix cz/image: elements lists {} element{} but there are {} atom types",
               type_z.size(), type_z.size() == 1 ? "" : "s", atom->ntypes);
  if (!czi_lmp_have_hdf5())
    error->all(FLERR, "fix cz/image: this build of cz has no HDF5 output (libhdf5-dev)");

  for (size_t k = 0; k < defocus.size(); ++k) {
    if (!scherzer[k]) continue;
    if (cz_sim_scherzer_defocus(opts.sim.energy_ev, opts.ctf.c[3][0], &defocus[k]) != CZ_OK)
      error->all(FLERR, "fix cz/image: defocus scherzer: {}", cz_sim_last_error());
  }
  if (use_wisdom) opts.sim.wisdom_path = wisdom.c_str();    // lives as long as the fix
  opts.ndefocus = defocus.size();
  opts.defocus = defocus.data();

  // Stored in every file as `program`: the fix command as given.
  program = "LAMMPS fix";
  for (int i = 0; i < narg; ++i) program += std::string(" ") + arg[i];

  if (comm->me == 0 && czi_lmp_imager_create(&opts, &imager) != CZ_OK)
    error->one(FLERR, "fix cz/image: {}", czi_lmp_last_error());
}

/* ---------------------------------------------------------------------- */

FixCzImage::~FixCzImage()
{
  czi_lmp_imager_destroy(imager);
}

/* ---------------------------------------------------------------------- */

int FixCzImage::setmask()
{
  return END_OF_STEP | POST_RUN;
}

/* ---------------------------------------------------------------------- */

void FixCzImage::setup(int /*vflag*/)
{
  if (update->ntimestep % nevery == 0) fire();
}

/* ---------------------------------------------------------------------- */

void FixCzImage::end_of_step()
{
  fire();
}

/* ---------------------------------------------------------------------- */

void FixCzImage::post_run()
{
  if (update->whichflag == 2) fire();
}

/* ----------------------------------------------------------------------
   gather the group on rank 0 in atom-ID order, image it there, share the outcome
------------------------------------------------------------------------- */

void FixCzImage::fire()
{
  const bigint step = update->ntimestep;
  if (step == last_step) return;
  last_step = step;

  const bigint ntotal = group->count(igroup);
  if (ntotal > INT_MAX / 3)
    error->all(FLERR, "fix cz/image: the group has {} atoms, more than one image can take ({})",
               ntotal, INT_MAX / 3);

  std::vector<tagint> tag;
  std::vector<int> type;
  std::vector<double> x;
  for (int i = 0; i < atom->nlocal; ++i) {
    if (!(atom->mask[i] & groupbit)) continue;
    tag.push_back(atom->tag[i]);
    type.push_back(atom->type[i]);
    x.insert(x.end(), atom->x[i], atom->x[i] + 3);
  }
  const int me = comm->me, nprocs = comm->nprocs;
  int nmine = (int) tag.size();
  std::vector<int> counts(nprocs, 0), displs(nprocs, 0), counts3(nprocs, 0), displs3(nprocs, 0);
  MPI_Gather(&nmine, 1, MPI_INT, counts.data(), 1, MPI_INT, 0, world);
  int n = 0;
  if (me == 0) {
    for (int p = 0; p < nprocs; ++p) {
      displs[p] = n;
      displs3[p] = 3 * n;
      counts3[p] = 3 * counts[p];
      n += counts[p];
    }
  }
  std::vector<tagint> alltag(n);
  std::vector<int> alltype(n);
  std::vector<double> allx(3 * (size_t) n);
  MPI_Gatherv(tag.data(), nmine, MPI_LMP_TAGINT, alltag.data(), counts.data(), displs.data(),
              MPI_LMP_TAGINT, 0, world);
  MPI_Gatherv(type.data(), nmine, MPI_INT, alltype.data(), counts.data(), displs.data(), MPI_INT, 0,
              world);
  MPI_Gatherv(x.data(), 3 * nmine, MPI_DOUBLE, allx.data(), counts3.data(), displs3.data(),
              MPI_DOUBLE, 0, world);

  int status = CZ_OK;
  if (me == 0) {
    // Atom-ID order: the simulator sums atoms in the order given, and the same order as a
    // dump sorted by ID makes `cz image` on that dump give the same bits.
    std::vector<int> order(n);
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](int a, int b) {
      return alltag[a] < alltag[b];
    });
    std::vector<double> xyz(3 * (size_t) n);
    std::vector<int> z(n);
    for (int i = 0; i < n; ++i) {
      const int j = order[i];
      std::copy(&allx[3 * (size_t) j], &allx[3 * (size_t) j] + 3, &xyz[3 * (size_t) i]);
      z[i] = type_z[alltype[j] - 1];
    }
    double cell[3][3];
    cz_status st = czi_lmp_frame(domain->boxlo, domain->boxhi, domain->periodicity, vacuum,
                                 (size_t) n, (double(*)[3]) xyz.data(), cell);
    std::string path = pattern;
    path.replace(path.find('*'), 1, std::to_string(step));
    czi_lmp_fire_info info;
    memset(&info, 0, sizeof info);
    if (st == CZ_OK)
      st = czi_lmp_imager_fire(imager, cell, (size_t) n, (const double(*)[3]) xyz.data(), z.data(),
                               path.c_str(), program.c_str(),
                               fmt::format("LAMMPS step {}", step).c_str(), &info);
    status = st;
    if (st == CZ_OK)
      utils::logmesg(lmp,
                     "fix cz/image: step {}: {} atoms, {}x{} pixels of {:.4g} Å, {} image{} "
                     "-> {}\n",
                     step, n, info.nx, info.ny, info.dx, info.nimages, info.nimages == 1 ? "" : "s",
                     path);
  }
  MPI_Bcast(&status, 1, MPI_INT, 0, world);
  if (status != CZ_OK)
    error->all(FLERR, "fix cz/image: step {}: {}", step, me == 0 ? czi_lmp_last_error() : "");
}
