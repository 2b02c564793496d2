/* finite.c — finite projection.
 *
 * The 3-D potential of an atom is a sum of Yukawa-type terms and Gaussians: Kirkland 2010
 * eq. C.19, V(ρ) = 2π² a0 e Σ a_i e^{−2π√b_i ρ}/ρ + 2π^{5/2} a0 e Σ c_i d_i^{−3/2} e^{−π²ρ²/d_i};
 * for Lobato & Van Dyck (2014, eq. 13) the 3-D transforms of a/(1 + b q²) and a/(1 + b q²)²,
 * (π a/b) e^{−2πρ/√b}/ρ and (π² a/b^{3/2}) e^{−2πρ/√b}, times 2π a0 e. Slab integrals along z:
 *  - Gaussians in closed form: ∫ e^{−π²(r²+z²)/d} dz = e^{−π²r²/d} (√(πd)/2π) [erf(πz/√d)];
 *  - Yukawa terms with z = r sinh t (dz/ρ = dt, ρ = r cosh t): ∫ e^{−βρ}/ρ dz = ∫ e^{−βr cosh t} dt
 *    and ∫ e^{−βρ} dz = ∫ e^{−βr cosh t} r cosh t dt, smooth integrands handled by composite
 *    8-point Gauss–Legendre on panels of width ≤ 1/4 in t, cut where βr cosh t > 45.
 * Over the whole line they give the projected potential (2 K0 and 2r K1 forms, eq. C.20).
 *
 * In the multislice each atom keeps its infinite projection, computed by the particle mesh in
 * Fourier space, in its own slice, and the part of its potential lying beyond its slice's
 * faces — the "leak", C(r, h) = ∫_h^∞ V(sqrt(r² + z²)) dz for a face at distance h — is moved
 * in real space: added to the slices it reaches and subtracted from its own. So the sum over
 * slices is the infinite projection (to float rounding), the singular core stays in the
 * band-limited particle mesh, and only the smooth redistribution is sampled on the grid. The
 * first and last slices extend to −∞ and +∞ (potential beyond the cell stays in them). C is
 * tabulated per species on nodes uniform in (√r, √h), which resolve the core (the leak of an
 * atom within h of a face varies on the scale h) and interpolated bilinearly. */
#include "finite.h"

#include <math.h>
#include <string.h>

#include "error.h"
#include "params.h"
#include "plan.h"

static const double PI = 3.14159265358979323846;

/* 8-point Gauss–Legendre on [−1, 1] (symmetric half). */
static const double GLX[4] = {0.18343464249564980, 0.52553240991632899, 0.79666647741362674,
                              0.96028985649753623};
static const double GLW[4] = {0.36268378337836198, 0.31370664587788727, 0.22238103445337447,
                              0.10122853629037626};

/* A species' 3-D potential: V = Σ ya e^{−βρ}/ρ + yb e^{−βρ} + Σ gc e^{−π²ρ²/gd}, in V. */
typedef struct sp3 {
    int ny, ng;
    double ya[5], yb[5], beta[5];
    double gc[3], gd[3];
} sp3;

static void sp3_make(int z, cz_sim_param param, sp3 *s) {
    double pre = czi_pot_prefactor();
    memset(s, 0, sizeof *s);
    if (param == CZ_SIM_KIRKLAND) {
        const double *k = czi_kirkland[z];
        s->ny = s->ng = 3;
        for (int i = 0; i < 3; i++) {
            s->ya[i] = pre * PI * k[i];
            s->beta[i] = 2.0 * PI * sqrt(k[3 + i]);
            s->gc[i] = pre * k[6 + i] * pow(PI / k[9 + i], 1.5);
            s->gd[i] = k[9 + i];
        }
    } else {
        const double *l = czi_lobato[z];
        s->ny = 5;
        for (int i = 0; i < 5; i++) {
            double b = l[5 + i];
            s->ya[i] = pre * PI * l[i] / b;
            s->yb[i] = pre * PI * PI * l[i] / (b * sqrt(b));
            s->beta[i] = 2.0 * PI / sqrt(b);
        }
    }
}

double czi_v3(int z, cz_sim_param param, double rho) {
    sp3 s;
    sp3_make(z, param, &s);
    double v = 0.0;
    for (int i = 0; i < s.ny; i++) v += (s.ya[i] / rho + s.yb[i]) * exp(-s.beta[i] * rho);
    for (int i = 0; i < s.ng; i++) v += s.gc[i] * exp(-PI * PI * rho * rho / s.gd[i]);
    return v;
}

/* t beyond which every Yukawa term is below e^{−45} of its value at t = 0 scale. */
static double t_cut(const sp3 *s, double r) {
    double bmin = s->beta[0];
    for (int i = 1; i < s->ny; i++) bmin = fmin(bmin, s->beta[i]);
    double x = 45.0 / (bmin * r);
    return x > 1.0 ? acosh(x) : 0.0;
}

/* Yukawa part of ∫ V dz over t in [ta, tb] (0 <= ta <= tb), lateral distance r. */
static double yukawa_t(const sp3 *s, double r, double ta, double tb) {
    double tc = t_cut(s, r);
    if (tb > tc) tb = tc;
    if (!(tb > ta)) return 0.0;
    int np = (int)ceil((tb - ta) / 0.25);
    double h = (tb - ta) / np, sum = 0.0;
    for (int k = 0; k < np; k++) {
        double mid = ta + (k + 0.5) * h;
        for (int q = 0; q < 4; q++)
            for (int sgn = -1; sgn <= 1; sgn += 2) {
                double t = mid + sgn * 0.5 * h * GLX[q], ch = cosh(t), f = 0.0;
                for (int i = 0; i < s->ny; i++)
                    f += (s->ya[i] + s->yb[i] * r * ch) * exp(-s->beta[i] * r * ch);
                sum += GLW[q] * f;
            }
    }
    return sum * 0.5 * h;
}

/* ∫_0^u V dz for u >= 0 (u may be infinite). */
static double half_slab(const sp3 *s, double r, double u) {
    double v = yukawa_t(s, r, 0.0, asinh(u / r));
    for (int i = 0; i < s->ng; i++) {
        double sd = sqrt(s->gd[i]);
        double e = isinf(u) ? 1.0 : erf(PI * u / sd);
        v += s->gc[i] * exp(-PI * PI * r * r / s->gd[i]) * sqrt(PI) * sd / (2.0 * PI) * e;
    }
    return v;
}

double czi_slab(int z, cz_sim_param param, double r, double z0, double z1) {
    sp3 s;
    sp3_make(z, param, &s);
    double g1 = z1 >= 0 ? half_slab(&s, r, z1) : -half_slab(&s, r, -z1);
    double g0 = z0 >= 0 ? half_slab(&s, r, z0) : -half_slab(&s, r, -z0);
    return g1 - g0;
}

double czi_fin_reach(int z, cz_sim_param param) {
    double v0 = czi_v3(z, param, 0.5);
    for (double rho = 0.5; rho < 8.0; rho += 0.01)
        if (czi_v3(z, param, rho) <= 1e-4 * v0) return rho;
    return 8.0;
}

void czi_fin_table(int z, cz_sim_param param, double reach, float *tab) {
    sp3 s;
    sp3_make(z, param, &s);
    const size_t nr1 = CZI_FIN_NR + 1;
    for (size_t i = 0; i <= CZI_FIN_NR; i++) {
        double fi = i ? (double)i : 0.25;
        double r = reach * (fi / CZI_FIN_NR) * (fi / CZI_FIN_NR);
        /* Cumulative from h = R down: C(h_j) = C(h_{j+1}) + ∫_{h_j}^{h_{j+1}} V dz. */
        double c = 0.0, tprev = asinh(reach / r);
        tab[CZI_FIN_NH * nr1 + i] = 0.0f;
        for (size_t j = CZI_FIN_NH; j-- > 0;) {
            double h = reach * ((double)j / CZI_FIN_NH) * ((double)j / CZI_FIN_NH);
            double t = asinh(h / r);
            c += yukawa_t(&s, r, t, tprev);
            tprev = t;
            double g = 0.0;
            for (int q = 0; q < s.ng; q++) {
                double sd = sqrt(s.gd[q]);
                g += s.gc[q] * exp(-PI * PI * r * r / s.gd[q]) * sqrt(PI) * sd / (2.0 * PI) *
                     (erf(PI * reach / sd) - erf(PI * h / sd));
            }
            tab[j * nr1 + i] = (float)(c + g);
        }
    }
}

/* One term of an atom's contribution to a slice: sgn · C(r, h) for r² < rc2 = R² − h² (beyond,
 * every point of the slab lies farther than the reach R). The same cutoff applies wherever the
 * same face appears (in the atom's slice and in its neighbour), so the terms still cancel in
 * the sum over slices. Table rows and weight for h are precomputed. */
typedef struct leakterm {
    const float *row0, *row1;
    float wj, sgn, rc2;
} leakterm;

static int add_term(leakterm *lt, int n, const float *tab, double reach, double h, float sgn) {
    if (!(h < reach)) return n; /* C = 0 beyond the reach */
    double fj = CZI_FIN_NH * sqrt(h / reach);
    size_t j0 = (size_t)fj;
    if (j0 >= CZI_FIN_NH) j0 = CZI_FIN_NH - 1;
    lt[n].row0 = tab + j0 * (CZI_FIN_NR + 1);
    lt[n].row1 = lt[n].row0 + (CZI_FIN_NR + 1);
    lt[n].wj = (float)(fj - (double)j0);
    lt[n].sgn = sgn;
    lt[n].rc2 = (float)(reach * reach - h * h);
    return n + 1;
}

/* Add the terms to dst[k], k < n, pixels at x = (i0 + k)·dx − ux (Å) in a row at squared
 * distance dy2 from the atom. x is formed per pixel from its own index, so a pixel gets the same
 * bits whichever segment it falls in. The table reads are unconditional (indices are clamped
 * into the table) and only the sum is masked, and indices are int (a 64-bit integer does not
 * convert to float in vectors below AVX-512DQ): so the loop vectorises, with gathers. */
static inline __attribute__((always_inline)) float leak_c(const leakterm *t, int ii, float wi) {
    float c0 = t->row0[ii] + wi * (t->row0[ii + 1] - t->row0[ii]);
    float c1 = t->row1[ii] + wi * (t->row1[ii + 1] - t->row1[ii]);
    return c0 + t->wj * (c1 - c0);
}

typedef void (*leak_fn)(float *restrict dst, int n, int i0, float dx, float ux, float dy2,
                        float nr_over_sqrt_r, const leakterm *lt, int nt);

static inline __attribute__((always_inline)) void leak_body(float *restrict dst, int n, int i0,
                                                            float dx, float ux, float dy2,
                                                            float nr_over_sqrt_r,
                                                            const leakterm *lt, int nt) {
    leakterm a = lt[0], b = nt > 1 ? lt[1] : lt[0];
    if (nt < 2) b.sgn = 0.0f;
    for (int k = 0; k < n; k++) {
        float x = (float)(i0 + k) * dx - ux, r2 = x * x + dy2;
        float fi = nr_over_sqrt_r * sqrtf(sqrtf(r2)); /* NR·sqrt(r/R) */
        int ii = (int)fi;
        ii = ii < CZI_FIN_NR - 1 ? ii : CZI_FIN_NR - 1;
        float wi = fi - (float)ii;
        float ca = leak_c(&a, ii, wi), cb = leak_c(&b, ii, wi);
        float va = r2 < a.rc2 ? a.sgn * ca : 0.0f;
        float vb = r2 < b.rc2 ? b.sgn * cb : 0.0f;
        dst[k] += va + vb;
    }
}

/* Baseline, and AVX2 / AVX-512 with the tuning of CPUs with fast gathers (GCC's generic tuning
 * emulates gathers with scalar loads); -ffp-contract=off keeps every variant's bits equal. */
static void leak_default(float *restrict dst, int n, int i0, float dx, float ux, float dy2,
                         float nrs, const leakterm *lt, int nt) {
    leak_body(dst, n, i0, dx, ux, dy2, nrs, lt, nt);
}

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define FIN_DISPATCH 1
__attribute__((target("avx2,tune=haswell"))) static void leak_avx2(float *restrict dst, int n,
                                                                   int i0, float dx, float ux,
                                                                   float dy2, float nrs,
                                                                   const leakterm *lt, int nt) {
    leak_body(dst, n, i0, dx, ux, dy2, nrs, lt, nt);
}
__attribute__((target("avx512f,tune=skylake-avx512,prefer-vector-width=512"))) static void
leak_avx512(float *restrict dst, int n, int i0, float dx, float ux, float dy2, float nrs,
            const leakterm *lt, int nt) {
    leak_body(dst, n, i0, dx, ux, dy2, nrs, lt, nt);
}
#endif

static leak_fn pick_leak(void) {
#ifdef FIN_DISPATCH
    if (__builtin_cpu_supports("avx512f")) return leak_avx512;
    if (__builtin_cpu_supports("avx2")) return leak_avx2;
#endif
    return leak_default;
}

int czi_fin_leak(cz_sim_plan *p, size_t s) {
    size_t ns = p->nslices, k = p->fin_k;
    size_t slo = s >= k ? s - k : 0, shi = s + k < ns ? s + k : ns - 1;
    if (ns < 2 || p->slice_start[slo] == p->slice_start[shi + 1]) return 0;
    size_t nx = p->nx, ny = p->ny;
    float *leak = p->leak;
    memset(leak, 0, p->npix * sizeof *leak);
    size_t nrow = (ny + CZI_FFT_BLOCK - 1) / CZI_FFT_BLOCK;
    leak_fn leak_segment = pick_leak();
    /* Row blocks in parallel; each visits the atoms in the same order, so every pixel sums its
     * contributions in the same order for any thread count. */
    CZI_OMP_FOR(p->nthreads)
    for (size_t b = 0; b < nrow; b++) {
        long r0 = (long)(b * CZI_FFT_BLOCK),
             r1 = r0 + CZI_FFT_BLOCK < (long)ny ? r0 + CZI_FFT_BLOCK : (long)ny;
        for (size_t sa = slo; sa <= shi; sa++) {
            for (size_t a = p->slice_start[sa]; a < p->slice_start[sa + 1]; a++) {
                unsigned sp = p->aspec[a];
                const float *tab = p->fin_tab + (size_t)sp * (CZI_FIN_NH + 1) * (CZI_FIN_NR + 1);
                double reach = p->fin_reach[sp], dz = p->dz;
                double htop = p->az[a] - (double)sa * dz, hbot = (double)(sa + 1) * dz - p->az[a];
                leakterm lt[2];
                int n = 0;
                if (sa == s) {
                    if (s > 0) n = add_term(lt, n, tab, reach, htop, -1.0f);
                    if (s < ns - 1) n = add_term(lt, n, tab, reach, hbot, -1.0f);
                } else if (s < sa) {
                    double d = (double)(sa - s);
                    n = add_term(lt, n, tab, reach, htop + (d - 1) * dz, 1.0f);
                    if (s > 0) n = add_term(lt, n, tab, reach, htop + d * dz, -1.0f);
                } else {
                    double d = (double)(s - sa);
                    n = add_term(lt, n, tab, reach, hbot + (d - 1) * dz, 1.0f);
                    if (s < ns - 1) n = add_term(lt, n, tab, reach, hbot + d * dz, -1.0f);
                }
                if (!n) continue;
                /* Footprint: the largest cutoff among the terms. */
                float rc2 = lt[0].rc2;
                if (n > 1 && lt[1].rc2 > rc2) rc2 = lt[1].rc2;
                double rc = sqrt((double)rc2);
                double u = p->ax[a], v = p->ay[a], ry = rc / p->dy;
                float ux = (float)(u * p->dx), fdx = (float)p->dx;
                float nrs = (float)(CZI_FIN_NR / sqrt(reach));
                long jlo = (long)ceil(v - ry), jhi = (long)floor(v + ry);
                long base = jlo - (((jlo % (long)ny) + (long)ny) % (long)ny);
                for (; base <= jhi; base += (long)ny) {
                    long ja = jlo > base + r0 ? jlo : base + r0;
                    long jb = jhi < base + r1 - 1 ? jhi : base + r1 - 1;
                    for (long jj = ja; jj <= jb; jj++) {
                        float ddy = (float)(((double)jj - v) * p->dy), dy2 = ddy * ddy;
                        double rem = (double)rc2 - (double)dy2;
                        if (rem <= 0.0) continue;
                        double cx = sqrt(rem) / p->dx;
                        long ilo = (long)ceil(u - cx), ihi = (long)floor(u + cx);
                        float *row = leak + (size_t)(jj - base) * nx;
                        /* Split [ilo, ihi] where it wraps around the cell. */
                        long bx = ilo - (((ilo % (long)nx) + (long)nx) % (long)nx);
                        for (; bx <= ihi; bx += (long)nx) {
                            long ia = ilo > bx ? ilo : bx;
                            long ib = ihi < bx + (long)nx - 1 ? ihi : bx + (long)nx - 1;
                            leak_segment(row + (ia - bx), (int)(ib - ia + 1), (int)ia, fdx, ux, dy2,
                                         nrs, lt, n);
                        }
                    }
                }
            }
        }
    }
    return 1;
}

cz_status cz_sim_slab_potential(int z, cz_sim_param param, size_t n, const double r[], double z0,
                                double z1, double v[]) {
    if (param != CZ_SIM_KIRKLAND && param != CZ_SIM_LOBATO)
        return CZ_SIM_FAIL(CZ_EINVAL, "unknown parametrisation %d", (int)param);
    if (z < 1 || z > CZI_PARAM_ZMAX)
        return CZ_SIM_FAIL(CZ_EINVAL, "atomic number must be in 1..%d (got %d)", CZI_PARAM_ZMAX, z);
    if (n && (!r || !v)) return CZ_SIM_FAIL(CZ_EINVAL, "r and v must not be NULL");
    if (isnan(z0) || isnan(z1) || !(z0 < z1))
        return CZ_SIM_FAIL(CZ_EINVAL, "need z0 < z1 (got %g, %g)", z0, z1);
    for (size_t i = 0; i < n; i++)
        if (!(r[i] > 0.0) || !isfinite(r[i]))
            return CZ_SIM_FAIL(CZ_EINVAL, "r[%zu] must be finite and > 0 (got %g)", i, r[i]);
    for (size_t i = 0; i < n; i++) v[i] = czi_slab(z, param, r[i], z0, z1);
    return CZ_OK;
}
