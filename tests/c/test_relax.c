/* test_relax.c — cz_relax against plain LAMMPS (Debian's lmp, 1 and 2 ranks), physical
 * properties of the relaxed structures, frames and groups, and every error path. Each LAMMPS
 * run happens in a child process, so the failing cases below also show that a LAMMPS fatal
 * error leaves this process alive. */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cz/cz.h"
#include "cz/cz_relax.h"
#include "cz_test.h"

static const double A_AU = 4.08; /* Å, the lattice constant of Foiles's Au_u3.eam */
static char tmp_dir[1024];

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static const char *potentials(void) {
    const char *env = getenv("LAMMPS_POTENTIALS");
    return env && *env ? env : "/usr/share/lammps/potentials";
}

/* The 147-atom Mackay icosahedron of Au, centred on the origin, labelled as a particle. */
static cz_atoms *au_icosahedron(void) {
    cz_prototype_opts po;
    cz_prototype_opts_default(&po);
    po.z[0] = 79;
    po.a = A_AU;
    cz_lattice *au = NULL;
    cz_particle *p = NULL;
    cz_atoms *a = NULL;
    cz_icosahedron_opts io;
    cz_icosahedron_opts_default(&io);
    io.shells = 4;
    if (cz_lattice_prototype("fcc", &po, &au) == CZ_OK &&
        cz_particle_icosahedron(au, &io, &p) == CZ_OK)
        cz_particle_fill(p, NULL, &a);
    cz_particle_destroy(p);
    cz_lattice_destroy(au);
    return a;
}

/* An Au(111) slab, 3 × 3 × 4 layers (ABC stacking), periodic in-plane (hexagonal cell,
 * pbc T T F), the bottom layer labelled substrate and the rest particle. */
static cz_atoms *au_slab(void) {
    const double b = A_AU / sqrt(2.0), dz = A_AU / sqrt(3.0);
    const double a1[3] = {b, 0.0, 0.0}, a2[3] = {0.5 * b, 0.5 * sqrt(3.0) * b, 0.0};
    cz_atoms *s = NULL;
    if (cz_atoms_create(36, &s) != CZ_OK) return NULL;
    for (int l = 0; l < 4; ++l)
        for (int i = 0; i < 3; ++i)
            for (int j = 0; j < 3; ++j) {
                double fi = i + (l % 3) / 3.0, fj = j + (l % 3) / 3.0;
                double r[3] = {fi * a1[0] + fj * a2[0], fi * a1[1] + fj * a2[1], l * dz + 2.0};
                cz_atoms_push(s, r, 79, 1, 1, l == 0 ? CZ_CLASS_SUBSTRATE : CZ_CLASS_PARTICLE);
            }
    double cell[3][3] = {{3 * a1[0], 3 * a1[1], 0}, {3 * a2[0], 3 * a2[1], 0}, {0, 0, 30.0}};
    int pbc[3] = {1, 1, 0};
    cz_atoms_set_cell(s, CZ_CROWS(cell), pbc);
    return s;
}

static double max_shift(const cz_atoms *a, const cz_atoms *b) {
    double m = 0.0;
    for (size_t i = 0; i < a->n; ++i)
        for (int t = 0; t < 3; ++t) m = fmax(m, fabs(a->xyz[i][t] - b->xyz[i][t]));
    return m;
}

/* ---- plain LAMMPS ------------------------------------------------------------------------- */

/* Run the same relaxation the way a LAMMPS user would: cz's own LAMMPS data writer, a
 * hand-written input with the settings cz_relax documents (units metal, shrink-wrapped box,
 * pair_style eam with Au_u3.eam, CG to etol/ftol), and `lmp -in` (under mpirun for ranks > 1).
 * Returns 0 and the final energy and positions (atom-ID order) on success. */
static int plain_lammps(const cz_atoms *atoms, const cz_relax_opts *o, int ranks, double *energy,
                        double (*xyz)[3]) {
    char data[1200], input[1200], dump[1200], log[1200], cmd[4096];
    snprintf(data, sizeof data, "%s/plain.data", tmp_dir);
    snprintf(input, sizeof input, "%s/in.plain", tmp_dir);
    snprintf(dump, sizeof dump, "%s/plain.dump", tmp_dir);
    snprintf(log, sizeof log, "%s/plain.log", tmp_dir);
    cz_write_opts wo;
    cz_write_opts_default(&wo);
    wo.format = CZ_FORMAT_LAMMPS;
    if (cz_atoms_write(data, atoms, &wo) != CZ_OK) return -1;
    FILE *f = fopen(input, "w");
    if (!f) return -1;
    fprintf(f,
            "units metal\natom_style atomic\nboundary s s s\nread_data %s\n"
            "pair_style eam\npair_coeff * * %s/Au_u3.eam\n"
            "min_style cg\nminimize %.17g %.17g %ld %ld\n"
            "print \"PLAIN_ENERGY $(pe:%%.17g)\"\n"
            "write_dump all custom %s id xu yu zu modify sort id format float %%.17g\n",
            data, potentials(), o->etol, o->ftol_ev_per_a, o->max_iterations, o->max_evaluations,
            dump);
    fclose(f);
    remove(dump);
    if (ranks > 1)
        snprintf(cmd, sizeof cmd,
                 "%s -np %d %s -in %s -log %s -screen none -nocite >/dev/null 2>&1", CZ_TEST_MPIRUN,
                 ranks, CZ_TEST_LMP, input, log);
    else
        snprintf(cmd, sizeof cmd, "%s -in %s -log %s -screen none -nocite >/dev/null 2>&1",
                 CZ_TEST_LMP, input, log);
    if (system(cmd) != 0) return -1;

    f = fopen(log, "r");
    if (!f) return -1;
    char line[512];
    int got = 0;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "PLAIN_ENERGY ", 13) == 0) got = sscanf(line + 13, "%lf", energy) == 1;
    fclose(f);
    f = fopen(dump, "r");
    if (!f || !got) {
        if (f) fclose(f);
        return -1;
    }
    for (int k = 0; k < 9; ++k)
        if (!fgets(line, sizeof line, f)) got = 0;
    for (size_t i = 0; got && i < atoms->n; ++i) {
        long id = 0;
        got = fscanf(f, "%ld %lf %lf %lf", &id, &xyz[i][0], &xyz[i][1], &xyz[i][2]) == 4 &&
              id == (long)i + 1;
    }
    fclose(f);
    return got ? 0 : -1;
}

/* Must show: the same final energy (1e-6 eV) and positions (1e-6 Å) as plain LAMMPS with the
 * same settings, for 1 and 2 ranks. */
static void test_matches_plain_lammps(const cz_atoms *ico) {
    for (int ranks = 1; ranks <= 2; ++ranks) {
        cz_relax_opts o;
        cz_relax_opts_default(&o);
        o.ranks = ranks;
        cz_atoms *out = NULL;
        cz_relax_result res;
        double t0 = now_s();
        cz_status st = cz_relax(ico, &o, &out, NULL, &res);
        double t_cz = now_s() - t0;
        CZ_CHECK(st == CZ_OK, "cz_relax %d rank(s): %s", ranks, cz_relax_last_error());
        double e_plain = NAN;
        double(*xyz)[3] = malloc(ico->n * sizeof *xyz);
        t0 = now_s();
        int rc = plain_lammps(ico, &o, ranks, &e_plain, xyz);
        double t_plain = now_s() - t0;
        CZ_CHECK(rc == 0, "plain lmp with %d rank(s) failed (see %s/plain.log)", ranks, tmp_dir);
        if (st == CZ_OK && rc == 0) {
            double de = fabs(res.energy_ev - e_plain), dr = 0.0;
            for (size_t i = 0; i < ico->n; ++i)
                for (int t = 0; t < 3; ++t) dr = fmax(dr, fabs(out->xyz[i][t] - xyz[i][t]));
            CZ_CHECK(de <= 1e-6, "%d rank(s): energy %.12f vs plain %.12f", ranks, res.energy_ev,
                     e_plain);
            CZ_CHECK(dr <= 1e-6, "%d rank(s): positions differ by %.3g A", ranks, dr);
            printf(
                "  Au147, %d rank(s): E = %.9f eV (plain lmp %.9f), |dE| = %.2g eV, "
                "max |dr| = %.2g A, %ld CG iterations (%s); %.2f s (plain %.2f s)\n",
                ranks, res.energy_ev, e_plain, de, dr, res.min_iterations, res.stop_reason, t_cz,
                t_plain);
        }
        free(xyz);
        cz_atoms_destroy(out);
    }
}

/* Energies, per-atom energies, labels and order; a relaxed Au surface contracts. */
static void test_icosahedron_physics(const cz_atoms *ico) {
    cz_relax_opts o;
    cz_relax_opts_default(&o);
    cz_atoms *out = NULL;
    cz_relax_result res;
    double *e = malloc(ico->n * sizeof *e);
    cz_status st = cz_relax(ico, &o, &out, e, &res);
    CZ_CHECK(st == CZ_OK, "%s", cz_relax_last_error());
    if (st != CZ_OK) {
        free(e);
        return;
    }
    CZ_CHECK(out != ico && out->n == ico->n, "a new atoms object, same count");
    int same_labels = 1;
    for (size_t i = 0; i < ico->n; ++i)
        same_labels &= out->z[i] == ico->z[i] && out->object_id[i] == ico->object_id[i] &&
                       out->grain_id[i] == ico->grain_id[i] && out->class_id[i] == ico->class_id[i];
    CZ_CHECK(same_labels, "order, Z and labels kept");
    CZ_CHECK(res.energy_ev < res.initial_energy_ev - 0.1, "energy drops: %.6f -> %.6f",
             res.initial_energy_ev, res.energy_ev);
    CZ_CHECK(res.converged && res.min_iterations > 0 && res.md_steps == 0,
             "converged (%s) after %ld iterations", res.stop_reason, res.min_iterations);
    double sum = 0.0;
    for (size_t i = 0; i < ico->n; ++i) sum += e[i];
    CZ_CHECK_CLOSE(sum, res.energy_ev, 1e-10, "per-atom energies sum to the total");
    /* Cohesive energy of Au_u3.eam is 3.93 eV/atom; a 147-atom cluster sits above it. */
    CZ_CHECK(res.energy_ev / (double)ico->n > -3.93 && res.energy_ev / (double)ico->n < -3.5,
             "energy per atom %.4f eV", res.energy_ev / (double)ico->n);

    /* Surface atoms (fewer than 12 neighbours within 3.4 Å) move inward on average. */
    double centre[3] = {0, 0, 0};
    for (size_t i = 0; i < ico->n; ++i)
        for (int t = 0; t < 3; ++t) centre[t] += ico->xyz[i][t] / (double)ico->n;
    double radial = 0.0;
    size_t nsurf = 0;
    for (size_t i = 0; i < ico->n; ++i) {
        int nb = 0;
        for (size_t j = 0; j < ico->n; ++j) {
            double d2 = 0.0;
            for (int t = 0; t < 3; ++t) d2 += pow(ico->xyz[i][t] - ico->xyz[j][t], 2);
            nb += j != i && d2 < 3.4 * 3.4;
        }
        if (nb >= 12) continue;
        double r0 = 0.0, r1 = 0.0;
        for (int t = 0; t < 3; ++t) {
            r0 += pow(ico->xyz[i][t] - centre[t], 2);
            r1 += pow(out->xyz[i][t] - centre[t], 2);
        }
        radial += sqrt(r1) - sqrt(r0);
        ++nsurf;
    }
    radial /= (double)(nsurf ? nsurf : 1);
    CZ_CHECK(nsurf == 92, "92 surface atoms on a 4-shell icosahedron (got %zu)", nsurf);
    CZ_CHECK(radial < 0.0, "surface contracts: mean radial displacement %.4f A", radial);
    printf("  Au147 surface: mean radial displacement %.4f A over %zu atoms; E %.4f -> %.4f eV\n",
           radial, nsurf, res.initial_energy_ev, res.energy_ev);

    /* No minimisation: a single-point energy, positions untouched. */
    o.min = CZ_RELAX_MIN_NONE;
    cz_atoms *same = NULL;
    cz_relax_result r0;
    st = cz_relax(ico, &o, &same, e, &r0);
    CZ_CHECK(st == CZ_OK && max_shift(same, ico) == 0.0, "min none: positions unchanged");
    CZ_CHECK(st == CZ_OK && r0.energy_ev == r0.initial_energy_ev &&
                 fabs(r0.energy_ev - res.initial_energy_ev) < 1e-9 && r0.min_iterations == 0,
             "min none: energy of the input (%.9f vs %.9f)", r0.energy_ev, res.initial_energy_ev);
    cz_atoms_destroy(same);

    /* FIRE reaches the same minimum. */
    o.min = CZ_RELAX_MIN_FIRE;
    cz_atoms *fire = NULL;
    cz_relax_result rf;
    st = cz_relax(ico, &o, &fire, NULL, &rf);
    CZ_CHECK(st == CZ_OK && fabs(rf.energy_ev - res.energy_ev) < 1e-3,
             "FIRE: %.6f eV vs CG %.6f eV (%s)", rf.energy_ev, res.energy_ev,
             st == CZ_OK ? rf.stop_reason : cz_relax_last_error());
    cz_atoms_destroy(fire);
    cz_atoms_destroy(out);
    free(e);
}

/* Frozen atoms do not move, by class and by per-atom flag. */
static void test_frozen(const cz_atoms *ico) {
    cz_atoms *a = NULL;
    cz_atoms_copy(ico, &a);
    double zmin = INFINITY;
    for (size_t i = 0; i < a->n; ++i) zmin = fmin(zmin, a->xyz[i][2]);
    size_t nsub = 0;
    for (size_t i = 0; i < a->n; ++i)
        if (a->xyz[i][2] < zmin + 3.0) {
            a->class_id[i] = CZ_CLASS_SUBSTRATE;
            ++nsub;
        }
    cz_relax_opts o;
    cz_relax_opts_default(&o);
    o.freeze_classes = 1u << CZ_CLASS_SUBSTRATE;
    cz_atoms *out = NULL;
    cz_status st = cz_relax(a, &o, &out, NULL, NULL);
    CZ_CHECK(st == CZ_OK, "%s", cz_relax_last_error());
    if (st == CZ_OK) {
        double still = 0.0, moved = 0.0;
        for (size_t i = 0; i < a->n; ++i) {
            double d = 0.0;
            for (int t = 0; t < 3; ++t) d = fmax(d, fabs(out->xyz[i][t] - a->xyz[i][t]));
            if (a->class_id[i] == CZ_CLASS_SUBSTRATE)
                still = fmax(still, d);
            else
                moved = fmax(moved, d);
        }
        CZ_CHECK(nsub > 5 && still == 0.0, "%zu frozen substrate atoms moved %.3g A", nsub, still);
        CZ_CHECK(moved > 0.01, "the others relax (max %.4f A)", moved);
    }
    cz_atoms_destroy(out);

    /* The same through the per-atom mask, on the unlabelled copy. */
    unsigned char *mask = calloc(a->n, 1);
    for (size_t i = 0; i < a->n; ++i) mask[i] = a->class_id[i] == CZ_CLASS_SUBSTRATE;
    cz_relax_opts_default(&o);
    o.frozen = mask;
    st = cz_relax(ico, &o, &out, NULL, NULL);
    CZ_CHECK(st == CZ_OK, "%s", cz_relax_last_error());
    if (st == CZ_OK) {
        double still = 0.0;
        for (size_t i = 0; i < a->n; ++i)
            if (mask[i])
                for (int t = 0; t < 3; ++t)
                    still = fmax(still, fabs(out->xyz[i][t] - ico->xyz[i][t]));
        CZ_CHECK(still == 0.0, "per-atom frozen flags: moved %.3g A", still);
    }
    cz_atoms_destroy(out);
    free(mask);
    cz_atoms_destroy(a);
}

/* A periodic slab: in-plane periodicity, a frozen bottom layer, and the result does not depend
 * on the frame: rotating the input (cell and atoms) rotates the output, and so does listing
 * the in-plane rows the other way round (a left-handed order LAMMPS cannot take as it is). */
static void test_slab_frames(void) {
    cz_atoms *s = au_slab();
    cz_relax_opts o;
    cz_relax_opts_default(&o);
    o.freeze_classes = 1u << CZ_CLASS_SUBSTRATE;
    cz_atoms *ref = NULL;
    cz_relax_result r_ref;
    cz_status st = cz_relax(s, &o, &ref, NULL, &r_ref);
    CZ_CHECK(st == CZ_OK, "slab: %s", cz_relax_last_error());
    if (st != CZ_OK) {
        cz_atoms_destroy(s);
        return;
    }
    CZ_CHECK(memcmp(ref->cell, s->cell, sizeof s->cell) == 0 && ref->pbc[0] && ref->pbc[1] &&
                 !ref->pbc[2],
             "cell and pbc kept");
    /* The outermost interlayer spacing of Au(111) contracts. Layers are atoms 9l..9l+8. */
    double d0 = 0.0, d1 = 0.0;
    for (size_t i = 27; i < 36; ++i) {
        d0 += (s->xyz[i][2] - s->xyz[i - 9][2]) / 9.0;
        d1 += (ref->xyz[i][2] - ref->xyz[i - 9][2]) / 9.0;
    }
    CZ_CHECK(d1 < d0, "top interlayer spacing contracts: %.4f -> %.4f A", d0, d1);
    printf(
        "  Au(111) slab, bottom layer frozen: top interlayer spacing %.4f -> %.4f A (%+.1f %%); "
        "E %.6f eV\n",
        d0, d1, 100.0 * (d1 / d0 - 1.0), r_ref.energy_ev);

    /* Rotation about (1, 2, 3) by 37°. */
    double u[3] = {1, 2, 3}, nu = sqrt(14.0), th = 37.0 * acos(-1.0) / 180.0;
    for (int t = 0; t < 3; ++t) u[t] /= nu;
    double c = cos(th), sn = sin(th), q[3][3];
    for (int i = 0; i < 3; ++i)
        for (int j = 0; j < 3; ++j)
            q[i][j] = (i == j ? c : 0.0) + (1 - c) * u[i] * u[j] +
                      sn * ((i == 0 && j == 1)   ? -u[2]
                            : (i == 0 && j == 2) ? u[1]
                            : (i == 1 && j == 0) ? u[2]
                            : (i == 1 && j == 2) ? -u[0]
                            : (i == 2 && j == 0) ? -u[1]
                            : (i == 2 && j == 1) ? u[0]
                                                 : 0.0);
    cz_atoms *rot = NULL;
    cz_atoms_copy(s, &rot);
    double cell[3][3];
    for (int k = 0; k < 3; ++k)
        for (int i = 0; i < 3; ++i)
            cell[k][i] =
                q[i][0] * s->cell[k][0] + q[i][1] * s->cell[k][1] + q[i][2] * s->cell[k][2];
    cz_atoms_set_cell(rot, CZ_CROWS(cell), s->pbc);
    for (size_t a = 0; a < s->n; ++a)
        for (int i = 0; i < 3; ++i)
            rot->xyz[a][i] =
                q[i][0] * s->xyz[a][0] + q[i][1] * s->xyz[a][1] + q[i][2] * s->xyz[a][2];
    cz_atoms *out = NULL;
    cz_relax_result r_rot;
    st = cz_relax(rot, &o, &out, NULL, &r_rot);
    CZ_CHECK(st == CZ_OK, "rotated slab: %s", cz_relax_last_error());
    if (st == CZ_OK) {
        double dr = 0.0;
        for (size_t a = 0; a < s->n; ++a)
            for (int i = 0; i < 3; ++i) {
                double want =
                    q[i][0] * ref->xyz[a][0] + q[i][1] * ref->xyz[a][1] + q[i][2] * ref->xyz[a][2];
                dr = fmax(dr, fabs(out->xyz[a][i] - want));
            }
        CZ_CHECK(dr <= 1e-6, "rotated frame: positions differ by %.3g A", dr);
        CZ_CHECK(fabs(r_rot.energy_ev - r_ref.energy_ev) <= 1e-6, "rotated frame: E %.9f vs %.9f",
                 r_rot.energy_ev, r_ref.energy_ev);
    }
    cz_atoms_destroy(out);

    /* Rows b, a, c: the same lattice in the other order. */
    cz_atoms *swapped = NULL;
    cz_atoms_copy(s, &swapped);
    double sc[3][3];
    memcpy(sc[0], s->cell[1], sizeof sc[0]);
    memcpy(sc[1], s->cell[0], sizeof sc[1]);
    memcpy(sc[2], s->cell[2], sizeof sc[2]);
    cz_atoms_set_cell(swapped, CZ_CROWS(sc), s->pbc);
    st = cz_relax(swapped, &o, &out, NULL, NULL);
    CZ_CHECK(st == CZ_OK && max_shift(out, ref) <= 1e-6, "rows b, a: differ by %.3g A (%s)",
             st == CZ_OK ? max_shift(out, ref) : -1.0, cz_relax_last_error());
    cz_atoms_destroy(out);
    cz_atoms_destroy(swapped);
    cz_atoms_destroy(rot);
    cz_atoms_destroy(ref);
    cz_atoms_destroy(s);
}

/* Annealing MD: reproducible from the seed, and the seed matters. */
static void test_anneal(const cz_atoms *ico) {
    cz_relax_opts o;
    cz_relax_opts_default(&o);
    o.anneal_steps = 60;
    o.anneal_temperature_k = 500.0;
    o.timestep_fs = 2.0;
    o.seed = 20240611u;
    cz_atoms *a = NULL, *b = NULL, *c = NULL;
    cz_relax_result ra, rb, rc;
    cz_status sa = cz_relax(ico, &o, &a, NULL, &ra);
    cz_status sb = cz_relax(ico, &o, &b, NULL, &rb);
    o.seed = 7u;
    cz_status sc = cz_relax(ico, &o, &c, NULL, &rc);
    CZ_CHECK(sa == CZ_OK && sb == CZ_OK && sc == CZ_OK, "anneal: %s", cz_relax_last_error());
    if (sa == CZ_OK && sb == CZ_OK && sc == CZ_OK) {
        CZ_CHECK(ra.md_steps == 60 && ra.min_iterations > 0, "60 MD steps (%ld), then %ld CG",
                 ra.md_steps, ra.min_iterations);
        CZ_CHECK(max_shift(a, b) == 0.0 && ra.energy_ev == rb.energy_ev, "same seed, same result");
        CZ_CHECK(max_shift(a, c) > 1e-6, "another seed, another trajectory");
    }
    cz_atoms_destroy(a);
    cz_atoms_destroy(b);
    cz_atoms_destroy(c);
}

/* Au on carbon: a hybrid of EAM, Tersoff and the UFF Lennard-Jones cross term. */
static void test_hybrid(void) {
    cz_atoms *s = NULL;
    cz_atoms_create(64, &s);
    /* Graphene, 4 × 4 rectangular cells (4 atoms each), frozen, periodic in-plane; an Au4
     * tetrahedron 3 Å above it. */
    const double acc = 1.42, ax = 3.0 * acc, ay = sqrt(3.0) * acc;
    const double basis[4][2] = {{0, 0}, {acc, 0}, {1.5 * acc, 0.5 * ay}, {2.5 * acc, 0.5 * ay}};
    for (int i = 0; i < 4; ++i)
        for (int j = 0; j < 4; ++j)
            for (int k = 0; k < 4; ++k) {
                double r[3] = {i * ax + basis[k][0], j * ay + basis[k][1], 5.0};
                cz_atoms_push(s, r, 6, 1, 1, CZ_CLASS_SUBSTRATE);
            }
    const double d = 2.88 / sqrt(2.0);
    const double tet[4][3] = {{0, 0, 0}, {d, d, 0}, {d, 0, d}, {0, d, d}};
    for (int k = 0; k < 4; ++k) {
        double r[3] = {6.0 + tet[k][0], 4.0 + tet[k][1], 8.5 + tet[k][2]};
        cz_atoms_push(s, r, 79, 2, 2, CZ_CLASS_PARTICLE);
    }
    double cell[3][3] = {{4 * ax, 0, 0}, {0, 4 * ay, 0}, {0, 0, 20.0}};
    int pbc[3] = {1, 1, 0};
    cz_atoms_set_cell(s, CZ_CROWS(cell), pbc);
    cz_relax_opts o;
    cz_relax_opts_default(&o);
    o.freeze_classes = 1u << CZ_CLASS_SUBSTRATE;
    cz_atoms *out = NULL;
    cz_relax_result r;
    cz_status st = cz_relax(s, &o, &out, NULL, &r);
    CZ_CHECK(st == CZ_OK, "Au on graphene (eam + tersoff + lj/cut): %s", cz_relax_last_error());
    if (st == CZ_OK) {
        double zc = 0.0;
        for (size_t i = 64; i < 68; ++i) zc += out->xyz[i][2] / 4.0;
        CZ_CHECK(zc > 5.0 + 2.0 && zc < 5.0 + 6.0, "Au4 stays above the sheet (mean z %.3f)", zc);
        CZ_CHECK(r.energy_ev < r.initial_energy_ev, "energy drops");
    }
    cz_atoms_destroy(out);

    /* Given LJ parameters are used as given (a much deeper well binds harder). */
    o.lj_epsilon_ev = 0.1;
    o.lj_sigma = 3.0;
    cz_relax_result r2;
    st = cz_relax(s, &o, &out, NULL, &r2);
    CZ_CHECK(st == CZ_OK && r2.energy_ev < r.energy_ev - 0.1,
             "eps 0.1 eV binds harder: %.4f vs %.4f eV", r2.energy_ev, r.energy_ev);
    cz_atoms_destroy(out);
    cz_atoms_destroy(s);
}

/* Every documented error; the LAMMPS ones come back as CZ_EINVAL with LAMMPS's ERROR line. */
static void test_errors(const cz_atoms *ico) {
    cz_relax_opts o;
    cz_atoms *out = (cz_atoms *)&o; /* must be reset to NULL on failure */
    cz_relax_result res;
    res.energy_ev = 1.0;

    cz_relax_opts_default(&o);
    o.pair_commands = "pair_style nonsense; pair_coeff * *";
    CZ_CHECK_FAILS(cz_relax(ico, &o, &out, NULL, &res), CZ_EINVAL,
                   "ERROR: Unrecognized pair style 'nonsense'");
    CZ_CHECK(out == NULL && res.energy_ev == 0.0, "out NULL and result zeroed on failure");
    CZ_CHECK(strstr(cz_relax_last_error(), "last command: pair_style nonsense") != NULL,
             "message names the command: %s", cz_relax_last_error());

    for (int ranks = 1; ranks <= 2; ++ranks) {
        cz_relax_opts_default(&o);
        o.ranks = ranks;
        /* LAMMPS falls back to $LAMMPS_POTENTIALS/<basename> for a path it cannot open, so
         * the missing file needs a name that is nowhere. */
        o.pair = "eam=/nonexistent/Missing_u3.eam";
        CZ_CHECK_FAILS(cz_relax(ico, &o, &out, NULL, NULL), CZ_EINVAL, "ERROR");
        CZ_CHECK(strstr(cz_relax_last_error(), "Missing_u3.eam") != NULL,
                 "%d rank(s): missing potential file named: %s", ranks, cz_relax_last_error());
    }

    cz_relax_opts_default(&o);
    CZ_CHECK_FAILS(cz_relax(NULL, &o, &out, NULL, NULL), CZ_EINVAL, "atoms is NULL");
    CZ_CHECK_FAILS(cz_relax(ico, &o, NULL, NULL, NULL), CZ_EINVAL, "out is NULL");
    cz_atoms *empty = NULL;
    cz_atoms_create(0, &empty);
    CZ_CHECK_FAILS(cz_relax(empty, &o, &out, NULL, NULL), CZ_EINVAL, "no atoms");
    cz_atoms_destroy(empty);

    o.etol = -1e-3;
    CZ_CHECK_FAILS(cz_relax(ico, &o, &out, NULL, NULL), CZ_EINVAL,
                   "etol must be >= 0 (got -0.001)");
    cz_relax_opts_default(&o);
    o.ftol_ev_per_a = NAN;
    CZ_CHECK_FAILS(cz_relax(ico, &o, &out, NULL, NULL), CZ_EINVAL, "ftol_ev_per_a");
    cz_relax_opts_default(&o);
    o.max_iterations = 0;
    CZ_CHECK_FAILS(cz_relax(ico, &o, &out, NULL, NULL), CZ_EINVAL, "max_iterations");
    cz_relax_opts_default(&o);
    o.max_evaluations = -5;
    CZ_CHECK_FAILS(cz_relax(ico, &o, &out, NULL, NULL), CZ_EINVAL, "max_evaluations");
    cz_relax_opts_default(&o);
    o.min = (cz_relax_min)7;
    CZ_CHECK_FAILS(cz_relax(ico, &o, &out, NULL, NULL), CZ_EINVAL, "got 7");
    cz_relax_opts_default(&o);
    o.anneal_steps = -1;
    CZ_CHECK_FAILS(cz_relax(ico, &o, &out, NULL, NULL), CZ_EINVAL, "anneal_steps");
    cz_relax_opts_default(&o);
    o.anneal_steps = 10;
    o.anneal_temperature_k = 0.0;
    CZ_CHECK_FAILS(cz_relax(ico, &o, &out, NULL, NULL), CZ_EINVAL, "anneal_temperature_k");
    cz_relax_opts_default(&o);
    o.timestep_fs = -2.0;
    CZ_CHECK_FAILS(cz_relax(ico, &o, &out, NULL, NULL), CZ_EINVAL, "timestep_fs");
    cz_relax_opts_default(&o);
    o.lj_epsilon_ev = 0.01;
    CZ_CHECK_FAILS(cz_relax(ico, &o, &out, NULL, NULL), CZ_EINVAL, "go together");
    cz_relax_opts_default(&o);
    o.ranks = 0;
    CZ_CHECK_FAILS(cz_relax(ico, &o, &out, NULL, NULL), CZ_EINVAL, "ranks must be in 1..4096");
    cz_relax_opts_default(&o);
    o.timeout_s = -1.0;
    CZ_CHECK_FAILS(cz_relax(ico, &o, &out, NULL, NULL), CZ_EINVAL, "timeout_s");
    cz_relax_opts_default(&o);
    o.pair = "lennard";
    CZ_CHECK_FAILS(cz_relax(ico, &o, &out, NULL, NULL), CZ_EINVAL, "unknown style 'lennard'");
    o.pair = "eam,eam/alloy=x";
    CZ_CHECK_FAILS(cz_relax(ico, &o, &out, NULL, NULL), CZ_EINVAL, "two metal styles");
    o.pair = "eam/alloy";
    CZ_CHECK_FAILS(cz_relax(ico, &o, &out, NULL, NULL), CZ_EINVAL, "needs a potential file");
    o.pair = "eam=";
    CZ_CHECK_FAILS(cz_relax(ico, &o, &out, NULL, NULL), CZ_EINVAL, "empty file name");
    cz_relax_opts_default(&o);
    o.work_dir = "/nonexistent-dir-of-cz";
    CZ_CHECK_FAILS(cz_relax(ico, &o, &out, NULL, NULL), CZ_EIO, "not an existing directory");
    o.work_dir = "/tmp/a$b";
    CZ_CHECK_FAILS(cz_relax(ico, &o, &out, NULL, NULL), CZ_EINVAL, "cannot quote");

    /* pbc on an axis without a cell row. */
    cz_relax_opts_default(&o);
    cz_atoms *bad = NULL;
    cz_atoms_copy(ico, &bad);
    bad->pbc[0] = 1;
    CZ_CHECK_FAILS(cz_relax(bad, &o, &out, NULL, NULL), CZ_EINVAL, "pbc along a");
    cz_atoms_destroy(bad);

    /* Elements without a default potential or UFF cross term. */
    cz_relax_opts_default(&o);
    cz_atoms *fe = NULL;
    cz_atoms_copy(ico, &fe);
    fe->z[3] = 26;
    CZ_CHECK_FAILS(cz_relax(fe, &o, &out, NULL, NULL), CZ_ENOTSUP, "no default potential for Fe");
    fe->z[3] = 79;
    fe->z[5] = 5; /* boron is a "metal" here: no B_u3.eam */
    CZ_CHECK_FAILS(cz_relax(fe, &o, &out, NULL, NULL), CZ_ENOTSUP, "B_u3.eam");
    cz_atoms_destroy(fe);

    /* No worker, no launcher, no time. */
    cz_relax_opts_default(&o);
    o.worker = "/nonexistent/cz-relax-worker";
    CZ_CHECK_FAILS(cz_relax(ico, &o, &out, NULL, NULL), CZ_ENOTSUP, "not an executable");
    cz_relax_opts_default(&o);
    o.ranks = 2;
    o.mpirun = "/nonexistent/mpirun";
    CZ_CHECK_FAILS(cz_relax(ico, &o, &out, NULL, NULL), CZ_ENOTSUP, "/nonexistent/mpirun");
    cz_relax_opts_default(&o);
    o.timeout_s = 0.02;
    CZ_CHECK_FAILS(cz_relax(ico, &o, &out, NULL, NULL), CZ_EIO, "did not finish within 0.02 s");
    CZ_CHECK(out == NULL, "out NULL after a timeout");
}

/* work_dir keeps a plain LAMMPS input that `lmp -in` runs to the same energy. */
static void test_work_dir(const cz_atoms *ico) {
    char dir[1100], path[1200], cmd[3000];
    snprintf(dir, sizeof dir, "%s/keep", tmp_dir);
    mkdir(dir, 0777);
    cz_relax_opts o;
    cz_relax_opts_default(&o);
    o.work_dir = dir;
    cz_atoms *out = NULL;
    cz_relax_result r;
    cz_status st = cz_relax(ico, &o, &out, NULL, &r);
    CZ_CHECK(st == CZ_OK, "%s", cz_relax_last_error());
    static const char *const files[] = {"in.relax", "atoms.data", "log.lammps", "result.txt"};
    for (size_t k = 0; k < 4; ++k) {
        snprintf(path, sizeof path, "%s/%s", dir, files[k]);
        CZ_CHECK(access(path, R_OK) == 0, "work_dir keeps %s", files[k]);
    }
    snprintf(cmd, sizeof cmd,
             "cd %s && %s -in in.relax -log plain.log -screen none -nocite >/dev/null 2>&1 && "
             "grep -q 'Stopping criterion = energy tolerance' plain.log",
             dir, CZ_TEST_LMP);
    CZ_CHECK(system(cmd) == 0, "lmp -in in.relax runs by hand");
    cz_atoms_destroy(out);
}

int main(void) {
    const char *base = getenv("CZ_TEST_TMP");
    snprintf(tmp_dir, sizeof tmp_dir, "%s/relax.%ld", base && *base ? base : "/tmp",
             (long)getpid());
    mkdir(tmp_dir, 0777);
    /* For the plain mpirun runs of this test (cz_relax sets these for its own children). */
    setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 1);
    setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 1);
    setenv("OMPI_MCA_rmaps_base_oversubscribe", "1", 1);

    double t0 = now_s();
    cz_atoms *ico = au_icosahedron();
    CZ_CHECK(ico && ico->n == 147, "Au147 icosahedron (%zu atoms)", ico ? ico->n : 0);
    if (ico) {
        test_matches_plain_lammps(ico);
        test_icosahedron_physics(ico);
        test_frozen(ico);
        test_anneal(ico);
        test_errors(ico);
        test_work_dir(ico);
    }
    test_slab_frames();
    test_hybrid();
    cz_atoms_destroy(ico);
    printf("  test_relax: %.1f s\n", now_s() - t0);
    int rc = cz_test_summary("test_relax");
    if (rc == 0) { /* kept after a failure, for a look at what LAMMPS wrote */
        char cmd[1100];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp_dir);
        if (system(cmd) != 0) printf("  (could not remove %s)\n", tmp_dir);
    }
    return rc;
}
